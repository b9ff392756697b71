// The app's own routes, served next to the health routes by every server of the conformance suite. A module
// of its own: the servers that run in Bun and Deno import it without the Node frameworks of servers.ts.

export const APP_BODY = 'app route'
export const APP_NOT_FOUND = 'app: not found'
export const APP_ROUTES = ['/', '/healthz']

/** The app's answer to a request the health routes passed on, for servers built on fetch Requests. */
export function appResponse(request: Request): Response {
  const path = new URL(request.url).pathname
  const found = request.method === 'GET' && APP_ROUTES.includes(path)
  return new Response(found ? APP_BODY : APP_NOT_FOUND, {
    status: found ? 200 : 404,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  })
}
