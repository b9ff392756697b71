// Which route answers a request target: the mount path, then the route below it.
import type { AdminRoute } from './admin.js'
import type { ProbeRoutes } from './probes.js'
import { jsonError } from './response.js'
import type { HealthRequest, RouteAnswer } from './types.js'
import { stripOrigin } from './url.js'

/** Answers a request under the mount path; `undefined` for any other path, so the caller can pass it on. */
export type Router = (request: HealthRequest) => RouteAnswer | undefined

const CHECKS = '/checks/'

export function createRouter(path: string, { probe, oneCheck }: ProbeRoutes, admin: AdminRoute): Router {
  const prefix = path === '/' ? '' : path
  return (request) => {
    const url = typeof request.url === 'string' ? request.url : ''
    // What load balancers ask for, answered without taking the target apart.
    if (url === path) return probe(request, 'ready', '')
    const queryAt = url.indexOf('?')
    const pathname = stripOrigin(queryAt === -1 ? url : url.slice(0, queryAt))
    const query = queryAt === -1 ? '' : url.slice(queryAt + 1)
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return undefined
    let sub = pathname.slice(prefix.length)
    if (sub.length > 1 && sub.endsWith('/')) sub = sub.slice(0, -1)
    switch (sub) {
      case '':
      case '/':
      case '/ready':
        return probe(request, 'ready', query)
      case '/live':
        return probe(request, 'live', query)
      case '/startup':
        return probe(request, 'startup', query)
      case '/maintenance':
        return admin(request)
    }
    if (sub.startsWith(CHECKS) && sub.length > CHECKS.length && sub.indexOf('/', CHECKS.length) === -1) {
      return oneCheck(request, sub.slice(CHECKS.length))
    }
    return jsonError(404, 'Not found')
  }
}
