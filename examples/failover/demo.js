// The example's moving parts, importable so that test/failover/example.test.ts runs the same scenario
// as index.mjs. Plain ESM JavaScript: the example runs with `node` and no build step; demo.d.ts types it.
import { EventEmitter } from 'node:events'
import { createServer } from 'node:http'
import { createFailover } from '@healthgate/failover'
import { WebSocket, WebSocketServer } from 'ws'

/**
 * One backend: node:http answering `GET/HEAD /_ping` with 200, and a WebSocket endpoint at `/<name>` that
 * greets each client with `{"hello":"<name>"}` and echoes what it receives. Can be stopped and restarted
 * on the same port.
 */
export async function startBackend({ name, port = 0, host = '127.0.0.1' }) {
  let server
  let wss
  const backend = {
    name,
    port,
    get healthUrl() {
      return `http://${host}:${backend.port}/_ping`
    },
    get connectUrl() {
      return `ws://${host}:${backend.port}/${name}`
    },
    get running() {
      return server !== undefined
    },
    async start() {
      if (server) return
      const next = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]
        if (path === '/_ping' && (req.method === 'GET' || req.method === 'HEAD')) {
          res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
          res.end(req.method === 'HEAD' ? undefined : 'ok\n')
          return
        }
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('not found\n')
      })
      const sockets = new WebSocketServer({ server: next, path: `/${name}` })
      sockets.on('connection', (socket) => {
        socket.send(JSON.stringify({ hello: name }))
        socket.on('message', (data) => socket.send(data.toString()))
      })
      await new Promise((resolve, reject) => {
        next.once('error', reject)
        next.listen(backend.port, host, () => {
          next.off('error', reject)
          resolve()
        })
      })
      backend.port = next.address().port
      server = next
      wss = sockets
    },
    async stop() {
      if (!server) return
      const closing = server
      for (const client of wss.clients) client.terminate()
      wss.close()
      server = undefined
      wss = undefined
      await new Promise((resolve) => {
        closing.close(() => resolve())
        closing.closeAllConnections()
      })
    },
  }
  await backend.start()
  return backend
}

/**
 * A WebSocket client that is always connected to the monitor's active endpoint: it switches when the monitor
 * says so, reports dropped connections to the monitor (they count toward the failure threshold) and retries.
 * Emits `connected` with `{ name, url }` once the backend's greeting arrives.
 */
export function connectClient({ monitor, retryMs = 1000, log = () => {} }) {
  const events = new EventEmitter()
  let socket
  let current
  let retry
  let closed = false

  const connect = (active) => {
    clearTimeout(retry)
    current = active
    const ws = new WebSocket(active.connectUrl)
    socket = ws
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString())
      if (message.hello) {
        log(`[client] connected to ${message.hello} (${active.connectUrl})`)
        client.connectedTo = message.hello
        events.emit('connected', { name: message.hello, url: active.connectUrl })
      }
    })
    // 'close' follows every 'error'; handling it there is enough.
    ws.on('error', () => {})
    ws.on('close', () => {
      if (ws !== socket || closed) return
      client.connectedTo = undefined
      log(`[client] lost ${active.name}; reporting it and retrying in ${retryMs} ms`)
      void monitor.reportFailure(active.name, 'WebSocket closed')
      retry = setTimeout(() => connect(monitor.active), retryMs)
    })
  }

  const off = monitor.onChange((event) => {
    if (closed || event.connectUrl === current?.connectUrl) return
    log(`[client] switching to ${event.to} (${event.connectUrl})`)
    const previous = socket
    socket = undefined
    client.connectedTo = undefined
    previous?.close()
    connect(monitor.active)
  })

  const client = {
    /** Name of the backend whose greeting arrived on the current socket; undefined while (re)connecting. */
    connectedTo: undefined,
    events,
    /** Resolves once connected to `name` (at once if already), rejects after `timeoutMs`. */
    waitFor(name, timeoutMs = 10_000) {
      if (client.connectedTo === name) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const onConnected = (info) => {
          if (info.name !== name) return
          clearTimeout(timer)
          events.off('connected', onConnected)
          resolve()
        }
        const timer = setTimeout(() => {
          events.off('connected', onConnected)
          reject(new Error(`not connected to ${name} within ${timeoutMs} ms`))
        }, timeoutMs)
        events.on('connected', onConnected)
      })
    },
    close() {
      closed = true
      off()
      clearTimeout(retry)
      socket?.terminate()
      socket = undefined
    },
  }
  connect(monitor.active)
  return client
}

/** Starts both backends, the monitor (primary first) and a client. `close()` stops everything. */
export async function createFailoverDemo(options = {}) {
  const {
    ports = [0, 0],
    intervalMs = 1000,
    timeoutMs,
    failureThreshold = 3,
    successThreshold = 2,
    retryMs = intervalMs,
    log = () => {},
  } = options
  const primary = await startBackend({ name: 'primary', port: ports[0] })
  const secondary = await startBackend({ name: 'secondary', port: ports[1] })
  const monitor = createFailover({
    endpoints: [primary, secondary].map(({ name, healthUrl, connectUrl }) => ({
      name,
      healthUrl,
      connectUrl,
    })),
    intervalMs,
    timeoutMs,
    failureThreshold,
    successThreshold,
  })
  monitor.onChange((event) => log(`[monitor] ${event.type} ${event.from} -> ${event.to}: ${event.reason}`))
  await monitor.start()
  const client = connectClient({ monitor, retryMs, log })
  return {
    primary,
    secondary,
    monitor,
    client,
    async close() {
      client.close()
      await monitor.stop()
      await Promise.all([primary.stop(), secondary.stop()])
    },
  }
}
