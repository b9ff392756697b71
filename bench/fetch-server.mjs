// One server of bench/fetch.mjs, in Node (Hono on @hono/node-server), Bun (Bun.serve) or Deno (Deno.serve):
// `<runtime> bench/fetch-server.mjs <bare|healthgate|hono-bare|hono-healthgate>`. Prints `{"port":N}` on
// stdout once it listens, and serves until killed. The bare route answers GET /health with a constant body
// of the same size and headers as healthgate's cached GET /health/ready answer, the way a hand-written
// health route would.
import { createHealth } from '@healthgate/core'
import { createFetchHandler } from '@healthgate/core/fetch'
import { healthgate } from '@healthgate/hono'
import { Hono } from 'hono'

const variant = process.argv[2] ?? 'bare'
const health = createHealth({
  checks: [{ name: 'dep', cacheTtlMs: 60_000, check: async () => undefined }],
  defaultCacheTtlMs: 60_000,
})
// The body and headers healthgate answers, answered as constants by the bare variants.
const { body, headers } = await (async () => {
  const response = await createFetchHandler(health)(new Request('http://127.0.0.1/health/ready'))
  return { body: await response.text(), headers: Object.fromEntries(response.headers) }
})()
const notFound = () => new Response('Not Found', { status: 404 })

/** `(request, remoteAddress) => Response` for the non-Hono variants; a Hono app's fetch for the others. */
function handler() {
  switch (variant) {
    case 'bare':
      return (request) =>
        request.method === 'GET' && new URL(request.url).pathname === '/health'
          ? new Response(body, { headers })
          : notFound()
    case 'healthgate': {
      const serve = createFetchHandler(health)
      return (request, remoteAddress) => serve(request, { remoteAddress })
    }
    case 'hono-bare': {
      const app = new Hono()
      app.get('/health', (c) => c.body(body, 200, headers))
      return app.fetch
    }
    case 'hono-healthgate': {
      const app = new Hono()
      app.use(healthgate(health))
      return app.fetch
    }
    default:
      throw new Error(`unknown variant ${variant}`)
  }
}

const fetch = handler()
const hono = variant.startsWith('hono')
const ready = (port) => process.stdout.write(`${JSON.stringify({ port })}\n`)
if (globalThis.Bun) {
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: hono ? fetch : (request, server) => fetch(request, server.requestIP(request)?.address),
  })
  ready(server.port)
} else if (globalThis.Deno) {
  Deno.serve(
    { port: 0, hostname: '127.0.0.1', onListen: ({ port }) => ready(port) },
    hono ? fetch : (request, info) => fetch(request, info.remoteAddr.hostname),
  )
} else {
  const { serve } = await import('@hono/node-server')
  if (!hono) throw new Error('on Node, the fetch variants run through Hono (hono-bare, hono-healthgate)')
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => ready(info.port))
  server.keepAliveTimeout = 65_000
}
