import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { createAdminListener, createHealth, installShutdown } from '@healthgate/core'
import { healthMetrics } from '@healthgate/prometheus'
import { pino } from 'pino'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { baseUrl, checksFromEnv, serverConfig, usage } from './checks.mjs'
import { fleetFromEnv } from './fleet.mjs'

/**
 * Starts one demo app: the checks from `env`, one health that logs JSON lines (pino) to stdout, its metrics
 * (prom-client's default process metrics plus healthgate's), and the framework's app, which `serve` builds,
 * mounts the health routes and `GET /metrics` in and starts listening. `serve({ health, adminToken,
 * adminRoutes, port, host, logger, metrics })` resolves `{ server, stop }`: the listening `node:http` server
 * and a function that stops the app; a runtime without one (Bun.serve, Deno.serve) resolves
 * `{ address: { address, port, family }, stop }` instead, and SIGTERM then stops it through `stop`. `metrics` is a prom-client registry: answer `GET /metrics` with
 * `await metrics.metrics()`, type `metrics.contentType`, 200 whatever the health status. LOG_LEVEL sets the
 * log level (default `info`). With `HEALTHGATE_ADMIN_PORT`, the admin API is served only on a second
 * listener on that port (`adminRoutes: false` on the app's), bound to `HOST`.
 *
 * Resolves `{ server, health, url, adminUrl, adminToken, close }`; `close()` stops the app, the admin
 * listener, the health and the clients the checks use.
 */
export async function startDemo({ id, packageUrl, serve }, env = process.env) {
  const { port, host, adminToken, adminPort } = serverConfig(env)
  const { version } = JSON.parse(readFileSync(packageUrl, 'utf8'))
  const { checks, close: closeChecks } = await checksFromEnv(env)
  let fleet
  let closeFleet
  try {
    ;({ fleet, close: closeFleet } = await fleetFromEnv(env, port))
  } catch (error) {
    await closeChecks()
    throw error
  }
  const closeClients = async () => {
    await closeChecks()
    await closeFleet?.()
  }
  const logger = pino({ level: env.LOG_LEVEL || 'info', base: { service: `healthgate-demo-${id}` } })
  const health = createHealth({ checks, version, serviceId: `healthgate-demo-${id}`, logger, fleet })
  // A registry per demo, so that several demos can run in one process (the tests do).
  const metrics = new Registry()
  collectDefaultMetrics({ register: metrics })
  const stopMetrics = healthMetrics(health, { registry: metrics })

  let app
  let admin
  try {
    app = await serve({
      health,
      adminToken,
      adminRoutes: adminPort === undefined,
      port,
      host,
      logger,
      metrics,
    })
    if (adminPort !== undefined) {
      admin = http.createServer(createAdminListener(health, { adminToken })).listen(adminPort, host)
      await once(admin, 'listening')
    }
  } catch (error) {
    await app?.stop()
    admin?.close()
    stopMetrics()
    await health.close()
    await closeClients()
    throw error
  }

  // GRPC_PORT set: grpc.health.v1 on that port too, over the same health (see examples/shared/grpc.mjs).
  let grpc
  if (env.GRPC_PORT) {
    try {
      const { startGrpcHealth } = await import('./grpc.mjs')
      grpc = await startGrpcHealth(health, { port: Number(env.GRPC_PORT), host })
    } catch (error) {
      await app.stop()
      admin?.close()
      stopMetrics()
      await health.close()
      await closeClients()
      throw error
    }
  }

  const close = async () => {
    await Promise.all([app.stop(), grpc?.stop()])
    stopMetrics()
    if (admin) {
      const closed = new Promise((resolve) => admin.close(resolve))
      admin.closeIdleConnections()
      await closed
    }
    await health.close()
    await closeClients()
  }
  // Bun.serve and Deno.serve have no node:http server: their `serve` resolves `address` instead.
  const url = baseUrl(app.address ?? app.server.address())
  const adminUrl = admin ? baseUrl(admin.address()) : url
  const inFleet = fleet !== undefined
  return { server: app.server, health, url, adminUrl, grpcPort: grpc?.port, adminToken, inFleet, close }
}

/**
 * What `node examples/<framework>/server.mjs` does: starts the demo from `process.env`, prints its URL and
 * the requests to try, and shuts down gracefully on SIGTERM/SIGINT: readiness answers 503 until every load
 * balancer probing it has seen that (at most 30 s), then the server stops accepting, in-flight requests
 * finish, the health and the clients close and the process exits. A second signal exits at once.
 * HEALTHGATE_SHUTDOWN=immediate closes without waiting for the load balancers, as most servers do;
 * test/e2e/rolling-deploy.test.ts uses it to show what that costs.
 */
export async function runDemo(label, createDemo) {
  const mode = process.env.HEALTHGATE_SHUTDOWN || 'graceful'
  if (mode !== 'graceful' && mode !== 'immediate') {
    console.error(`Expected HEALTHGATE_SHUTDOWN to be 'graceful' or 'immediate', got ${JSON.stringify(mode)}`)
    process.exit(1)
  }

  let demo
  try {
    demo = await createDemo(process.env)
  } catch (error) {
    console.error(`healthgate ${label} demo failed to start: ${error.message}`)
    process.exit(1)
  }

  console.log(`healthgate ${label} demo listening on ${demo.url}`)
  if (demo.adminUrl !== demo.url) console.log(`admin API on ${demo.adminUrl}/health/maintenance only`)
  if (demo.grpcPort !== undefined) console.log(`grpc.health.v1 on port ${demo.grpcPort}`)
  console.log(`Try:\n${usage(demo.url, demo)}`)

  installShutdown(demo.health, {
    server: demo.server,
    maxDrainMs: mode === 'immediate' ? 0 : 30_000,
    // Stops the app (Fastify runs its onClose hooks), then the health and the clients of the checks.
    close: () => demo.close(),
  })
  return demo
}
