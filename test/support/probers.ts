import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createNodeListener, type Health, tuneForLoadBalancer } from '@healthgate/core'
import { request } from './http.js'

/** The admin token of `startHealthServer()`. */
export const ADMIN_TOKEN = 'drain-test-token'

type Cleanups = Array<() => unknown>
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A real node:http server: the health routes (admin token `ADMIN_TOKEN`), `/slow` (300 ms), `/hang` (never
 * answers), `/` (fast). Closed by the cleanups.
 */
export async function startHealthServer(
  health: Health,
  cleanups: Cleanups,
): Promise<{ server: http.Server; port: number }> {
  const healthRoutes = createNodeListener(health, { adminToken: ADMIN_TOKEN })
  const hanging = new Set<http.ServerResponse>()
  const server = http.createServer((req, response) => {
    if (req.url === '/slow') setTimeout(() => response.end('slow done'), 300)
    else if (req.url === '/hang') hanging.add(response)
    else if (req.url === '/') response.end('ok')
    else healthRoutes(req, response)
  })
  tuneForLoadBalancer(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { server, port: (server.address() as AddressInfo).port }
}

/** A load-balancer-like prober: GET /health/ready every `intervalMs` with its own User-Agent, until stopped. */
export function startProber(port: number, userAgent: string, intervalMs: number, cleanups: Cleanups) {
  const statuses: number[] = []
  let stopped = false
  const done = (async () => {
    while (!stopped) {
      try {
        statuses.push((await request(port, '/health/ready', { headers: { 'user-agent': userAgent } })).status)
      } catch {
        return // the server closed
      }
      await sleep(intervalMs)
    }
  })()
  const stop = async () => {
    stopped = true
    await done
  }
  cleanups.push(stop)
  return { statuses, stop }
}
