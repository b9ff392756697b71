// HealthgateModule.forRootAsync() building its checks from the app's own providers, a pg Pool and an ioredis
// client, against the real PostgreSQL and Redis, on both Nest HTTP platforms.
import type { AddressInfo } from 'node:net'
import type { Health } from '@healthgate/core'
import { HEALTHGATE_HEALTH } from '@healthgate/nestjs'
import { pgCheck } from '@healthgate/pg'
import { redisCheck } from '@healthgate/redis'
import { type INestApplication, Module } from '@nestjs/common'
import { Redis } from 'ioredis'
import { Pool } from 'pg'
import { createNestApp, type NestPlatform } from '../conformance/nest.js'
import { request } from '../support/http.js'
import { PG_URL, REDIS_URL } from '../support/services.js'
import { waitFor } from '../support/wait.js'

const REDIS = Symbol('redis')

const apps: INestApplication[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

/** The app's own database module: it owns the clients and closes them, as a real one would. */
function databaseModule() {
  const pool = new Pool({ connectionString: PG_URL, max: 2 })
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  class DatabaseModule {
    async onModuleDestroy() {
      redis.disconnect()
      if (!pool.ended) await pool.end()
    }
  }
  Module({
    providers: [
      { provide: Pool, useValue: pool },
      { provide: REDIS, useValue: redis },
    ],
    exports: [Pool, REDIS],
  })(DatabaseModule)
  return { DatabaseModule, pool, redis }
}

describe.each<NestPlatform>(['express', 'fastify'])(
  'Nest on %s: forRootAsync with an injected pg Pool and Redis client',
  (platform) => {
    it('checks the real PostgreSQL and Redis through them: 200, then 503 once the pool is ended', async () => {
      const { DatabaseModule, pool, redis } = databaseModule()
      const factory = jest.fn((injectedPool: Pool, injectedRedis: Redis) => ({
        checks: [pgCheck({ pool: injectedPool }), redisCheck({ client: injectedRedis })],
        defaultCacheTtlMs: 10,
        details: 'always' as const,
      }))
      const app = await createNestApp({
        platform,
        health: { async: { imports: [DatabaseModule], inject: [Pool, REDIS], useFactory: factory } },
      })
      apps.push(app)
      await app.listen(0, '127.0.0.1')
      const port = (app.getHttpServer().address() as AddressInfo).port
      expect(factory).toHaveBeenCalledWith(pool, redis)
      await waitFor(() => redis.status === 'ready', 5000)

      const up = await request(port, '/health')
      expect(up.status).toBe(200)
      const checks = Object.keys(JSON.parse(up.body).checks)
      expect(checks.some((key) => key.startsWith('postgres'))).toBe(true)
      expect(checks.some((key) => key.startsWith('redis'))).toBe(true)

      // The health the routes answer from is the one services get injected.
      const health = app.get<Health>(HEALTHGATE_HEALTH)
      expect((await health.evaluate()).status).toBe('pass')

      await pool.end()
      await waitFor(async () => (await request(port, '/health')).status === 503, 3000, 50)
      const down = JSON.parse((await request(port, '/health')).body)
      expect(down.status).toBe('fail')
      expect(JSON.stringify(down)).not.toContain(PG_URL)
    })
  },
)
