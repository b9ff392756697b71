// Node-only: kept out of monitor.ts so the monitor stays runnable in browsers and React Native.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { optionReader } from '@healthgate/core/primitives'
import type { FailoverMonitor } from './monitor.js'

/** Options of {@link serveActive}. */
export interface ServeActiveOptions {
  /** The monitor whose active endpoint is served. It is borrowed: `close()` does not stop it. */
  monitor: Pick<FailoverMonitor, 'active' | 'allDown'>
  /** TCP port; 0 picks a free one (read it from `url`). */
  port: number
  /** Interface to listen on. Default: `'127.0.0.1'` (only this machine). */
  host?: string
}

/** The running server of {@link serveActive}. */
export interface ActiveServer {
  server: Server
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`; the route is `${url}/active`. */
  url: string
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>
}

/** The body of `GET /active`. */
export interface ActiveResponse {
  name: string
  url: string
  since: string
  allDown: boolean
}

/**
 * Serves the monitor's active endpoint at `GET /active` (200 JSON `{ name, url, since, allDown }`,
 * `Cache-Control: no-store`) for clients that cannot run the monitor themselves. Other paths answer 404,
 * other methods than GET/HEAD 405.
 */
export async function serveActive(options: ServeActiveOptions): Promise<ActiveServer> {
  const read = optionReader('serveActive')
  if (options === undefined) read.fail('options', 'an object with `monitor` and `port`', options)
  const opts = read.object(options, ['monitor', 'port', 'host'])
  const monitor = opts.monitor as ServeActiveOptions['monitor']
  if (typeof monitor !== 'object' || monitor === null || !('active' in monitor)) {
    read.fail('monitor', 'a failover monitor', monitor)
  }
  const port = opts.port as number
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    read.fail('port', 'an integer from 0 to 65535', port)
  }
  const host = read.nonEmptyString('host', opts.host) ?? '127.0.0.1'

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = `${JSON.stringify(body)}\n`
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
        ...headers,
      })
      res.end(req.method === 'HEAD' ? undefined : text)
    }
    if (path !== '/active') return send(404, { error: 'not found' })
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(405, { error: 'method not allowed' }, { allow: 'GET, HEAD' })
    }
    const active = monitor.active
    const body: ActiveResponse = {
      name: active.name,
      url: active.connectUrl,
      since: active.since,
      allDown: monitor.allDown,
    }
    send(200, body)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })

  const address = server.address() as AddressInfo
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    server,
    url: `http://${hostPart}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
      return closing
    },
  }
}
