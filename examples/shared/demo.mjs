import { readFileSync } from 'node:fs'
import { createHealth, installShutdown } from '@healthgate/core'
import { baseUrl, checksFromEnv, serverConfig, usage } from './checks.mjs'

/**
 * Starts one demo app: the checks from `env`, one health, and the framework's app, which `serve` builds,
 * mounts the health routes in and starts listening. `serve({ health, adminToken, port, host })` resolves
 * `{ server, stop }`: the listening `node:http` server and a function that stops the app.
 *
 * Resolves `{ server, health, url, adminToken, close }`; `close()` stops the app, the health and the
 * clients the checks use.
 */
export async function startDemo({ id, packageUrl, serve }, env = process.env) {
  const { port, host, adminToken } = serverConfig(env)
  const { version } = JSON.parse(readFileSync(packageUrl, 'utf8'))
  const { checks, close: closeClients } = await checksFromEnv(env)
  const health = createHealth({ checks, version, serviceId: `healthgate-demo-${id}` })

  let app
  try {
    app = await serve({ health, adminToken, port, host })
  } catch (error) {
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
      await health.close()
      await closeClients()
      throw error
    }
  }

  const close = async () => {
    await Promise.all([app.stop(), grpc?.stop()])
    await health.close()
    await closeClients()
  }
  return {
    server: app.server,
    health,
    url: baseUrl(app.server.address()),
    grpcPort: grpc?.port,
    adminToken,
    close,
  }
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
