import { healthgate, tuneForLoadBalancer } from '@healthgate/fastify'
import Fastify from 'fastify'
import { startDemo } from '../shared/demo.mjs'

/**
 * Starts the demo app: a Fastify app with one route of its own, GET /metrics and the health routes under /health.
 * Resolves `{ server, health, url, adminToken, close }` once it listens; `close()` closes Fastify (which
 * closes the health) and the clients the checks use.
 */
export function createDemo(env = process.env) {
  return startDemo({ id: 'fastify', packageUrl: new URL('./package.json', import.meta.url), serve }, env)
}

async function serve({ health, adminToken, adminRoutes, port, host, logger, metrics }) {
  // Load balancers ask every few seconds: a log line per request would drown the transitions.
  const app = Fastify({ loggerInstance: logger, disableRequestLogging: true })
  tuneForLoadBalancer(app.server)
  await app.register(healthgate, { health, adminToken, adminRoutes })
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.metrics()),
  )
  app.get('/', async () => ({ hello: 'from the healthgate Fastify demo', health: '/health' }))

  try {
    await app.listen({ port, host })
  } catch (error) {
    await app.close()
    throw error
  }
  return { server: app.server, stop: () => app.close() }
}
