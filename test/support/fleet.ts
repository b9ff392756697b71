// Fleet members for the tests against the real Redis: each with its own client, a critical `db` check
// driven by `state.dbUp`, and the admin API on a loopback port. Keys are unique per test and deleted after it.
import { createHealth, type MaintenanceStore } from '@healthgate/core'
import { type FleetView, type RedisFleetOptions, redisFleet } from '@healthgate/redis'
import { Redis } from 'ioredis'
import type { cleanupRegistry } from './cleanup.js'
import { ADMIN_TOKEN, serve } from './http.js'
import { REDIS_URL, uniqueSuffix } from './services.js'
import { waitFor } from './wait.js'

export interface Setup {
  key: string
  service: string
}

export type Instance = Awaited<ReturnType<ReturnType<typeof fleetTools>['instance']>>

export function fleetTools(later: ReturnType<typeof cleanupRegistry>) {
  async function setup(): Promise<Setup> {
    const key = `healthgate:test:fleet:${uniqueSuffix()}`
    const admin = later(new Redis(REDIS_URL), (c) => c.disconnect())
    later(key, async (k) => {
      const keys = await admin.keys(`${k}:*`)
      if (keys.length > 0) await admin.del(...keys)
    })
    return { key, service: 'svc' }
  }

  /** One instance: its own Redis client, a critical `db` check driven by `dbUp`, served with the admin API. */
  async function instance(
    where: Setup,
    instanceId: string,
    options: Partial<RedisFleetOptions> = {},
    redisUrl = REDIS_URL,
    maintenance?: MaintenanceStore,
  ) {
    const client = later(new Redis(redisUrl, { retryStrategy: (times) => Math.min(times * 50, 500) }), (c) =>
      c.disconnect(),
    )
    client.on('error', () => {})
    await waitFor(() => client.status === 'ready', 3000)
    const fleet = redisFleet({
      client,
      key: where.key,
      service: where.service,
      instanceId,
      address: `127.0.0.1:${instanceId}`,
      intervalMs: 200,
      ttlMs: 1500,
      timeoutMs: 500,
      ...options,
    })
    const state = { dbUp: true }
    const health = later(
      createHealth({
        version: '1.2.3',
        fleet,
        ...(maintenance ? { maintenance } : {}),
        checks: [
          {
            name: 'db',
            intervalMs: 100,
            check: async () => {
              if (!state.dbUp) throw new Error('database unreachable')
            },
          },
        ],
      }),
      (h) => h.close(),
    )
    const server = later(await serve(health), (s) => s.close())
    const put = (body = '{}') => server.request('PUT', '/health/maintenance', ADMIN_TOKEN, body)
    const del = () => server.request('DELETE', '/health/maintenance', ADMIN_TOKEN)
    const view = async () => JSON.parse((await server.get('/health/fleet', ADMIN_TOKEN)).body) as FleetView
    return { id: instanceId, client, fleet, health, server, state, put, del, view }
  }

  return { setup, instance }
}
