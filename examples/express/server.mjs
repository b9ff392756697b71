import { installShutdown } from '@healthgate/core'
import { createDemo } from './app.mjs'
import { usage } from './checks.mjs'

let demo
try {
  demo = await createDemo(process.env)
} catch (error) {
  console.error(`healthgate Express demo failed to start: ${error.message}`)
  process.exit(1)
}

console.log(`healthgate Express demo listening on ${demo.url}`)
console.log(`Try:\n${usage(demo.url, demo)}`)

/**
 * Graceful shutdown on SIGTERM/SIGINT: readiness answers 503 until every load balancer probing it has seen
 * that (at most 30 s), then the server stops accepting, in-flight requests finish, the clients close and the
 * process exits. A second signal exits at once. HEALTHGATE_SHUTDOWN=immediate closes without waiting for the
 * load balancers, as most servers do; test/e2e/rolling-deploy.test.ts uses it to show what that costs.
 */
function installGracefulShutdown() {
  const mode = process.env.HEALTHGATE_SHUTDOWN || 'graceful'
  if (mode !== 'graceful' && mode !== 'immediate') {
    console.error(`Expected HEALTHGATE_SHUTDOWN to be 'graceful' or 'immediate', got ${JSON.stringify(mode)}`)
    process.exit(1)
  }
  return installShutdown(demo.health, {
    server: demo.server,
    maxDrainMs: mode === 'immediate' ? 0 : 30_000,
    // The server and the health are closed by then; this closes the clients of the checks.
    onShutdown: () => demo.close(),
  })
}

installGracefulShutdown()
