// Which route answers a request target: the mount path, then the route below it.
import type { AdminRoute } from './admin.js'
import type { ProbeRoutes } from './probes.js'
import { jsonError } from './response.js'
import type { HealthRequest, RouteAnswer } from './types.js'
import { stripOrigin } from './url.js'

/** Answers a request under the mount path; `undefined` for any other path, so the caller can pass it on. */
export type Router = (request: HealthRequest) => RouteAnswer | undefined

/** `'all'`: every route; `'admin'`: only the admin API (a private listener), 404 for the probe routes. */
export type RouterMode = 'all' | 'admin'

const CHECKS = '/checks/'

/** The routes that need the admin token: the maintenance API and the fleet view. */
export interface AdminRoutes {
  maintenance: AdminRoute
  fleet: AdminRoute
}

export function createRouter(
  path: string,
  { probe, oneCheck }: ProbeRoutes,
  adminRoutes: AdminRoutes | undefined,
  mode: RouterMode = 'all',
): Router {
  const admin = adminRoutes?.maintenance
  const fleet = adminRoutes?.fleet
  const prefix = path === '/' ? '' : path
  const notFound = jsonError(404, 'Not found')
  return (request) => {
    const url = typeof request.url === 'string' ? request.url : ''
    if (mode === 'admin') {
      const queryAt = url.indexOf('?')
      const pathname = stripOrigin(queryAt === -1 ? url : url.slice(0, queryAt))
      if (
        admin !== undefined &&
        (pathname === `${prefix}/maintenance` || pathname === `${prefix}/maintenance/`)
      ) {
        return admin(request)
      }
      if (fleet !== undefined && (pathname === `${prefix}/fleet` || pathname === `${prefix}/fleet/`)) {
        return fleet(request)
      }
      return notFound
    }
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
        // Served on a separate listener: here the admin API does not exist, whatever the method.
        return admin === undefined ? notFound : admin(request)
      case '/fleet':
        return fleet === undefined ? notFound : fleet(request)
    }
    if (sub.startsWith(CHECKS) && sub.length > CHECKS.length && sub.indexOf('/', CHECKS.length) === -1) {
      return oneCheck(request, sub.slice(CHECKS.length))
    }
    return jsonError(404, 'Not found')
  }
}
