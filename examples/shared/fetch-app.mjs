import { createFetchHandler } from '@healthgate/core/fetch'

/**
 * The demo app as a fetch handler, for runtimes that answer HTTP with Request -> Response (Bun.serve,
 * Deno.serve): the health routes under /health, GET /metrics and one route of its own, GET /. Returns
 * `(request, remoteAddress) => Response | Promise<Response>`; the runtime supplies the caller's address.
 */
export function createFetchApp({ health, adminToken, adminRoutes, metrics }, label) {
  const healthgate = createFetchHandler(health, { adminToken, adminRoutes })
  const app = async (request) => {
    const { pathname } = new URL(request.url)
    if (request.method === 'GET' && pathname === '/metrics') {
      return new Response(await metrics.metrics(), { headers: { 'content-type': metrics.contentType } })
    }
    if (request.method === 'GET' && pathname === '/') {
      return Response.json({ hello: `from the healthgate ${label} demo`, health: '/health' })
    }
    return new Response('Not Found', { status: 404 })
  }
  return (request, remoteAddress) => healthgate(request, { remoteAddress, next: () => app(request) })
}
