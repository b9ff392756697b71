import { once } from 'node:events'
import { healthRouter, tuneForLoadBalancer } from '@healthgate/express'
import express from 'express'
import { startDemo } from '../shared/demo.mjs'

/**
 * Starts the demo app: an Express app with one route of its own, GET /metrics and the health routes under /health.
 * Resolves `{ server, health, url, adminToken, close }` once it listens; `close()` stops the server, the
 * health and the clients the checks use.
 */
export function createDemo(env = process.env) {
  return startDemo({ id: 'express', packageUrl: new URL('./package.json', import.meta.url), serve }, env)
}

async function serve({ health, adminToken, adminRoutes, port, host, metrics }) {
  const app = express()
  app.use(healthRouter(health, { adminToken, adminRoutes }))
  app.get('/metrics', async (_request, response) => {
    response.type(metrics.contentType).send(await metrics.metrics())
  })
  app.get('/', (_request, response) => {
    response.json({ hello: 'from the healthgate Express demo', health: '/health' })
  })

  const server = tuneForLoadBalancer(app.listen(port, host))
  await once(server, 'listening')
  const stop = async () => {
    const closed = new Promise((resolve) => server.close(resolve))
    server.closeIdleConnections()
    await closed
  }
  return { server, stop }
}
