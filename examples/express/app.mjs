import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createHealth } from '@healthgate/core'
import { healthRouter, tuneForLoadBalancer } from '@healthgate/express'
import express from 'express'
import { baseUrl, checksFromEnv, serverConfig } from './checks.mjs'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))

/**
 * Starts the demo app: an Express app with one route of its own and the health routes under /health.
 * Resolves `{ server, health, url, close }` once it listens; `close()` stops the server, the health and
 * the clients the checks use.
 */
export async function createDemo(env = process.env) {
  const { port, host, adminToken } = serverConfig(env)
  const { checks, close: closeClients } = await checksFromEnv(env)
  const health = createHealth({ checks, version, serviceId: 'healthgate-demo-express' })

  const app = express()
  app.use(healthRouter(health, { adminToken }))
  app.get('/', (_request, response) => {
    response.json({ hello: 'from the healthgate Express demo', health: '/health' })
  })

  const server = tuneForLoadBalancer(app.listen(port, host))
  try {
    await once(server, 'listening')
  } catch (error) {
    await health.close()
    await closeClients()
    throw error
  }

  const close = async () => {
    const closed = new Promise((resolve) => server.close(resolve))
    server.closeIdleConnections()
    await closed
    await health.close()
    await closeClients()
  }
  return { server, health, url: baseUrl(server.address()), adminToken, close }
}
