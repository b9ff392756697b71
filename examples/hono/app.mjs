import { once } from 'node:events'
import { tuneForLoadBalancer } from '@healthgate/core'
import { healthgate } from '@healthgate/hono'
import { serve as serveNode } from '@hono/node-server'
import { Hono } from 'hono'
import { startDemo } from '../shared/demo.mjs'

/**
 * Starts the demo app: a Hono app on Node (@hono/node-server) with one route of its own, GET /metrics and
 * the health routes under /health. Resolves `{ server, health, url, adminToken, close }` once it listens.
 */
export function createDemo(env = process.env) {
  return startDemo({ id: 'hono', packageUrl: new URL('./package.json', import.meta.url), serve }, env)
}

async function serve({ health, adminToken, adminRoutes, port, host, metrics }) {
  const app = new Hono()
  // The caller's address comes from @hono/node-server's bindings, as getConnInfo() reads it.
  app.use(healthgate(health, { adminToken, adminRoutes }))
  app.get('/metrics', async (c) =>
    c.body(await metrics.metrics(), 200, { 'content-type': metrics.contentType }),
  )
  app.get('/', (c) => c.json({ hello: 'from the healthgate Hono demo', health: '/health' }))

  const server = tuneForLoadBalancer(serveNode({ fetch: app.fetch, port, hostname: host }))
  if (!server.listening) await once(server, 'listening')
  const stop = async () => {
    const closed = new Promise((resolve) => server.close(resolve))
    server.closeIdleConnections()
    await closed
  }
  return { server, stop }
}
