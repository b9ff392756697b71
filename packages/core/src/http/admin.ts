// The maintenance admin API: read, enter and leave maintenance with the admin token.
import type { Health } from '../health.js'
import { readReason } from './admin-body.js'
import type { Auth } from './auth.js'
import { json, jsonError, methodNotAllowed } from './response.js'
import type { HealthRequest, HealthResponse } from './types.js'
import { upperCase } from './url.js'

const ADMIN_METHODS = 'GET, PUT, DELETE'

export type AdminRoute = (request: HealthRequest) => Promise<HealthResponse>

export function createAdminRoute(
  health: Pick<Health, 'enterMaintenance' | 'leaveMaintenance' | 'maintenanceStatus' | 'adminEvent'>,
  auth: Auth,
): AdminRoute {
  return async (request) => {
    // Without a token the API does not exist, rather than exist and refuse everyone.
    if (!auth.enabled) return jsonError(404, 'Not found')
    const method = upperCase(request.method)
    if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') return methodNotAllowed(ADMIN_METHODS)
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
    if (method === 'PUT') {
      const parsed = await readReason(request)
      if ('error' in parsed) {
        // The rest of an oversized body is never read: closing is the only way to stop the client sending it.
        if (parsed.status === 413) {
          return json(413, { status: 413, error: parsed.error }, { connection: 'close' })
        }
        return jsonError(parsed.status, parsed.error)
      }
      await health.enterMaintenance(parsed.reason)
      health.adminEvent({ action: 'maintenance-on', address: source(request), reason: parsed.reason })
    } else if (method === 'DELETE') {
      await health.leaveMaintenance()
      health.adminEvent({ action: 'maintenance-off', address: source(request) })
    }
    return json(200, health.maintenanceStatus())
  }
}

const source = (request: HealthRequest): string => request.remoteAddress ?? 'an unknown address'
