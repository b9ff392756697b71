import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createNodeListener, type HandlerOptions, type Health } from '@healthgate/core'
import { sleep } from './wait.js'

/** An HTTP answer with the whole body as text. */
export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export interface RequestOptions {
  /** Default: `'GET'`. */
  method?: string
  /** Sent as given; Node adds only `Host` (and `Connection: close` without a keep-alive agent). */
  headers?: Record<string, string>
  /** Sent with `Content-Length`, or with `Transfer-Encoding: chunked` when `chunked`. */
  body?: string | Buffer
  /** Send the body in several chunks with `Transfer-Encoding: chunked`. Default: false. */
  chunked?: boolean
  /** Default: `false`, a fresh connection per request. */
  agent?: http.Agent | false
  /** Default: 10000. */
  timeoutMs?: number
}

/**
 * One HTTP request. `server` is a port on 127.0.0.1 or an origin such as `http://127.0.0.1:8080`; the
 * promise rejects with the socket error (e.g. `ECONNREFUSED`) or after `timeoutMs`.
 */
export function request(server: number | string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const { method = 'GET', headers = {}, body, chunked = false, timeoutMs = 10_000 } = options
  const origin = typeof server === 'number' ? new URL(`http://127.0.0.1:${server}`) : new URL(server)
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: origin.hostname,
        port: origin.port,
        path,
        method,
        headers,
        agent: options.agent ?? false,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`${method} ${path} timed out`)))
    outgoing.on('error', reject)
    if (body === undefined) {
      outgoing.end()
    } else if (chunked) {
      outgoing.setHeader('transfer-encoding', 'chunked')
      // Several writes so the body really travels as more than one chunk.
      const bytes = Buffer.from(body)
      for (let offset = 0; offset < bytes.length; offset += 1000)
        outgoing.write(bytes.subarray(offset, offset + 1000))
      outgoing.end()
    } else {
      outgoing.setHeader('content-length', Buffer.byteLength(body))
      outgoing.end(body)
    }
  })
}

export const ADMIN_TOKEN = 'integration-admin-token'

export interface TestServer {
  url: string
  port: number
  /** `GET path`, with the time the answer took. */
  get(path: string, token?: string): Promise<Reply & { ms: number }>
  request(method: string, path: string, token?: string, body?: string): Promise<Reply>
  close(): Promise<void>
}

/** Serves the health routes on a loopback port, as an application would (admin token: `ADMIN_TOKEN`). */
export async function serve(health: Health, options: HandlerOptions = {}): Promise<TestServer> {
  const server = http.createServer(createNodeListener(health, { adminToken: ADMIN_TOKEN, ...options }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const send = (method: string, path: string, token?: string, body?: string) =>
    request(port, path, { method, body, headers: token ? { authorization: `Bearer ${token}` } : {} })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    request: send,
    async get(path, token) {
      const started = performance.now()
      const reply = await send('GET', path, token)
      return { ...reply, ms: performance.now() - started }
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Polls `GET path` until it answers `status` `times` times in a row, or throws after `timeoutMs`. Asking a
 * readiness route more than once also tells the instance this client's interval, so that it stops waiting
 * for this client soon after it went away instead of after `proberTtlMs`.
 */
export async function waitForStatus(
  port: number,
  path: string,
  status: number,
  options: { timeoutMs?: number; intervalMs?: number; times?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  const times = options.times ?? 2
  let inARow = 0
  let last = 'no answer'
  while (Date.now() < deadline) {
    try {
      const reply = await request(port, path, { headers: options.headers, timeoutMs: 1000 })
      inARow = reply.status === status ? inARow + 1 : 0
      if (inARow >= times) return
      last = `HTTP ${reply.status}`
    } catch (error) {
      inARow = 0
      last = (error as Error).message
    }
    await sleep(options.intervalMs ?? 50)
  }
  throw new Error(
    `127.0.0.1:${port}${path} did not answer ${status} within ${options.timeoutMs ?? 10_000} ms (last: ${last})`,
  )
}

/** A load-balancer-like prober: `GET /health/ready` every `intervalMs` with its own User-Agent, until stopped. */
export function startProber(port: number, userAgent: string, intervalMs: number) {
  const statuses: number[] = []
  const stopped = new AbortController()
  const done = (async () => {
    while (!stopped.signal.aborted) {
      try {
        const reply = await request(port, '/health/ready', {
          headers: { 'user-agent': userAgent },
          timeoutMs: 2000,
        })
        statuses.push(reply.status)
      } catch {
        return // the server is gone
      }
      await sleep(intervalMs, { signal: stopped.signal }).catch(() => {})
    }
  })()
  return {
    statuses,
    async stop() {
      stopped.abort()
      await done
    },
  }
}
