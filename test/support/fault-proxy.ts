import net from 'node:net'
import { endpointOf, withEndpoint } from './services.js'

/**
 * - `pass`: forward both ways.
 * - `latency`: forward both ways, each chunk delayed by `latencyMs`.
 * - `blackhole`: accept connections but never answer and never forward. Bytes already accepted are
 *   held, as TCP would keep retransmitting them, and delivered if the mode goes back to `pass` or
 *   `latency` (a healed partition). Existing connections stall too.
 * - `reset`: send RST on every existing and every new connection.
 */
export type FaultMode = 'pass' | 'latency' | 'blackhole' | 'reset'

export interface FaultProxyStats {
  /** Connections accepted since the proxy started (including ones reset at once). */
  connections: number
  /** Client connections currently open. */
  activeConnections: number
  /** Bytes received from clients. */
  bytesIn: number
  /** Bytes received from the target. */
  bytesOut: number
}

export interface FaultProxy {
  readonly host: string
  readonly port: number
  readonly mode: FaultMode
  readonly stats: FaultProxyStats
  setMode(mode: FaultMode, options?: { latencyMs?: number }): void
  /** Destroys every connection and stops listening. */
  close(): Promise<void>
}

export interface FaultProxyOptions {
  target: { host: string; port: number }
  /** Default: `'127.0.0.1'`. */
  host?: string
  /** Default: `'pass'`. */
  mode?: FaultMode
  /** Default: 0. */
  latencyMs?: number
}

interface Chunk {
  data: Buffer
  dueAt: number
}

/** One direction of a proxied connection, holding what the current mode does not let through yet. */
interface Lane {
  queue: Chunk[]
  ended: boolean
  timer: NodeJS.Timeout | undefined
}

interface Link {
  client: net.Socket
  upstream: net.Socket | undefined
  toUpstream: Lane
  toClient: Lane
  closed: boolean
}

const newLane = (): Lane => ({ queue: [], ended: false, timer: undefined })

export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { target, host = '127.0.0.1' } = options
  let mode: FaultMode = options.mode ?? 'pass'
  let latencyMs = options.latencyMs ?? 0
  const links = new Set<Link>()
  const stats: FaultProxyStats = { connections: 0, activeConnections: 0, bytesIn: 0, bytesOut: 0 }

  const reset = (socket: net.Socket | undefined): void => {
    if (!socket || socket.destroyed) return
    try {
      socket.resetAndDestroy()
    } catch {
      socket.destroy()
    }
  }

  const teardown = (link: Link): void => {
    if (link.closed) return
    link.closed = true
    clearTimeout(link.toUpstream.timer)
    clearTimeout(link.toClient.timer)
    link.client.destroy()
    link.upstream?.destroy()
    links.delete(link)
  }

  const pump = (link: Link, lane: Lane, destination: net.Socket | undefined): void => {
    clearTimeout(lane.timer)
    lane.timer = undefined
    if (link.closed || mode === 'blackhole' || mode === 'reset' || !destination || destination.connecting)
      return
    const now = Date.now()
    while (lane.queue.length > 0) {
      const head = lane.queue[0] as Chunk
      if (head.dueAt > now) {
        lane.timer = setTimeout(() => pump(link, lane, destination), head.dueAt - now)
        return
      }
      lane.queue.shift()
      if (!destination.destroyed) destination.write(head.data)
    }
    if (lane.ended && !destination.destroyed) destination.end()
  }

  const pumpAll = (link: Link): void => {
    pump(link, link.toUpstream, link.upstream)
    pump(link, link.toClient, link.client)
  }

  const connectUpstream = (link: Link): void => {
    if (link.upstream || link.closed) return
    const upstream = net.connect({ host: target.host, port: target.port })
    link.upstream = upstream
    upstream.on('connect', () => pump(link, link.toUpstream, upstream))
    upstream.on('data', (data: Buffer) => {
      stats.bytesOut += data.length
      link.toClient.queue.push({ data, dueAt: Date.now() + (mode === 'latency' ? latencyMs : 0) })
      pump(link, link.toClient, link.client)
    })
    upstream.on('end', () => {
      link.toClient.ended = true
      pump(link, link.toClient, link.client)
    })
    upstream.on('error', () => teardown(link))
    upstream.on('close', () => {
      if (link.toClient.queue.length === 0 || mode === 'reset') teardown(link)
    })
  }

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    stats.connections += 1
    if (mode === 'reset') {
      reset(client)
      return
    }
    stats.activeConnections += 1
    const link: Link = {
      client,
      upstream: undefined,
      toUpstream: newLane(),
      toClient: newLane(),
      closed: false,
    }
    links.add(link)
    client.on('data', (data: Buffer) => {
      stats.bytesIn += data.length
      link.toUpstream.queue.push({ data, dueAt: Date.now() + (mode === 'latency' ? latencyMs : 0) })
      pump(link, link.toUpstream, link.upstream)
    })
    client.on('end', () => {
      link.toUpstream.ended = true
      // A client that hung up while black-holed is gone for good: nothing it sent will ever be answered.
      if (mode === 'blackhole') teardown(link)
      else pump(link, link.toUpstream, link.upstream)
    })
    client.on('error', () => teardown(link))
    client.on('close', () => {
      stats.activeConnections -= 1
      // Nothing can be answered any more; what is still held for the target is dropped with it.
      teardown(link)
    })
    if (mode !== 'blackhole') connectUpstream(link)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no TCP address')

  return {
    host,
    port: address.port,
    get mode() {
      return mode
    },
    stats,
    setMode(next, modeOptions) {
      mode = next
      if (modeOptions?.latencyMs !== undefined) latencyMs = modeOptions.latencyMs
      for (const link of [...links]) {
        if (next === 'reset') {
          reset(link.client)
          reset(link.upstream)
          teardown(link)
        } else if (next !== 'blackhole') {
          connectUpstream(link)
          pumpAll(link)
        }
      }
    },
    async close() {
      for (const link of [...links]) teardown(link)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * A fault proxy in front of the service at `serviceUrl` (closed after the test through `later`), and the
 * service's URL pointed at the proxy.
 */
export async function proxiedService(
  later: <T>(value: T, cleanup: (value: T) => unknown) => T,
  serviceUrl: string,
  defaultPort: number,
): Promise<{ proxy: FaultProxy; url: string }> {
  const proxy = later(await createFaultProxy({ target: endpointOf(serviceUrl, defaultPort) }), (p) =>
    p.close(),
  )
  return { proxy, url: withEndpoint(serviceUrl, proxy) }
}
