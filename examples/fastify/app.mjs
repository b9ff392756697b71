import { readFileSync } from 'node:fs'
import { createHealth } from '@healthgate/core'
import { healthgate, tuneForLoadBalancer } from '@healthgate/fastify'
import Fastify from 'fastify'
import { baseUrl, checksFromEnv, serverConfig } from './checks.mjs'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))

/**
 * Starts the demo app: a Fastify app with one route of its own and the health routes under /health.
 * Resolves `{ app, server, health, url, close }` once it listens; `close()` closes Fastify (which closes
 * the health) and the clients the checks use.
 */
export async function createDemo(env = process.env) {
  const { port, host, adminToken } = serverConfig(env)
  const { checks, close: closeClients } = await checksFromEnv(env)
  const health = createHealth({ checks, version, serviceId: 'healthgate-demo-fastify' })

  const app = Fastify()
  tuneForLoadBalancer(app.server)
  await app.register(healthgate, { health, adminToken })
  app.get('/', async () => ({ hello: 'from the healthgate Fastify demo', health: '/health' }))

  try {
    await app.listen({ port, host })
  } catch (error) {
    await app.close()
    await closeClients()
    throw error
  }

  const close = async () => {
    await app.close()
    await closeClients()
  }
  return { app, server: app.server, health, url: baseUrl(app.server.address()), adminToken, close }
}
