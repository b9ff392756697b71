// The maintenance admin API: read, enter and leave maintenance with the admin token.

import { isMaintenanceRefusedError } from '../health/fleet.js'
import type { Health } from '../health.js'
import { readReason } from './admin-body.js'
import type { Auth } from './auth.js'
import { json, jsonError, methodNotAllowed } from './response.js'
import type { HealthRequest, HealthResponse } from './types.js'
import { upperCase } from './url.js'

const ADMIN_METHODS = 'GET, PUT, DELETE'

export type AdminRoute = (request: HealthRequest) => Promise<HealthResponse>

/** The 429 or 401 that refuses a request to an admin route, or `undefined` when its token is right. */
function refuse(auth: Auth, request: HealthRequest): HealthResponse | undefined {
  const allowed = auth.check(request, performance.now(), true)
  if (typeof allowed === 'number') {
    return json(
      429,
      { status: 429, error: 'Too many failed authentication attempts' },
      { 'retry-after': String(Math.ceil(allowed / 1000)) },
    )
  }
  if (!allowed) {
    return json(
      401,
      { status: 401, error: 'A valid Bearer token is required' },
      { 'www-authenticate': 'Bearer realm="healthgate"' },
    )
  }
  return undefined
}

export function createAdminRoute(
  health: Pick<Health, 'enterMaintenance' | 'leaveMaintenance' | 'maintenanceStatus' | 'adminEvent'>,
  auth: Auth,
): AdminRoute {
  return async (request) => {
    // Without a token the API does not exist, rather than exist and refuse everyone.
    if (!auth.enabled) return jsonError(404, 'Not found')
    const method = upperCase(request.method)
    if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') return methodNotAllowed(ADMIN_METHODS)
    const refused = refuse(auth, request)
    if (refused) return refused
    if (method === 'PUT') {
      const parsed = await readReason(request)
      if ('error' in parsed) {
        // The rest of an oversized body is never read: closing is the only way to stop the client sending it.
        if (parsed.status === 413) {
          return json(413, { status: 413, error: parsed.error }, { connection: 'close' })
        }
        return jsonError(parsed.status, parsed.error)
      }
      try {
        await health.enterMaintenance(parsed.reason, { force: parsed.force === true })
      } catch (error) {
        // The disruption budget's refusal names the budget; anything else stays a 500 without details.
        if (isMaintenanceRefusedError(error)) return jsonError(409, error.message)
        throw error
      }
      health.adminEvent({ action: 'maintenance-on', address: source(request), reason: parsed.reason })
    } else if (method === 'DELETE') {
      await health.leaveMaintenance()
      health.adminEvent({ action: 'maintenance-off', address: source(request) })
    }
    return json(200, health.maintenanceStatus())
  }
}

const source = (request: HealthRequest): string => request.remoteAddress ?? 'an unknown address'

/** `GET /fleet`: the fleet view, with the admin token; 404 when there is no token or no fleet. */
export function createFleetRoute(health: Pick<Health, 'fleetView'>, auth: Auth): AdminRoute {
  return async (request) => {
    if (!auth.enabled) return jsonError(404, 'Not found')
    const method = upperCase(request.method)
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed('GET, HEAD')
    const refused = refuse(auth, request)
    if (refused) return refused
    const view = health.fleetView()
    if (view === undefined) return jsonError(404, 'This instance belongs to no fleet')
    return json(200, await view)
  }
}
