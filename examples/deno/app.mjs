import { startDemo } from '../shared/demo.mjs'
import { createFetchApp } from '../shared/fetch-app.mjs'

/**
 * Starts the demo app on Deno.serve: createFetchHandler from @healthgate/core/fetch in front of one route
 * of its own and GET /metrics. Resolves `{ health, url, adminToken, close }` once it listens.
 */
export function createDemo(env = process.env) {
  return startDemo({ id: 'deno', packageUrl: new URL('./package.json', import.meta.url), serve }, env)
}

async function serve(options) {
  const fetch = createFetchApp(options, 'Deno')
  const { promise: listening, resolve } = Promise.withResolvers()
  const server = Deno.serve(
    { port: options.port, hostname: options.host, onListen: resolve },
    // Deno knows the caller's address per request: drain confirmation tells load balancers apart by it.
    (request, info) => fetch(request, info.remoteAddr.hostname),
  )
  const { hostname, port } = await listening
  const family = hostname.includes(':') ? 'IPv6' : 'IPv4'
  return { address: { address: hostname, port, family }, stop: () => server.shutdown() }
}
