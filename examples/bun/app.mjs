import { startDemo } from '../shared/demo.mjs'
import { createFetchApp } from '../shared/fetch-app.mjs'

/**
 * Starts the demo app on Bun.serve: createFetchHandler from @healthgate/core/fetch in front of one route of
 * its own and GET /metrics. Resolves `{ health, url, adminToken, close }` once it listens.
 */
export function createDemo(env = process.env) {
  return startDemo({ id: 'bun', packageUrl: new URL('./package.json', import.meta.url), serve }, env)
}

async function serve(options) {
  const fetch = createFetchApp(options, 'Bun')
  const server = Bun.serve({
    port: options.port,
    hostname: options.host,
    // Bun knows the caller's address per request: drain confirmation tells load balancers apart by it.
    fetch: (request, server) => fetch(request, server.requestIP(request)?.address),
  })
  const family = server.hostname.includes(':') ? 'IPv6' : 'IPv4'
  return { address: { address: server.hostname, port: server.port, family }, stop: () => server.stop() }
}
