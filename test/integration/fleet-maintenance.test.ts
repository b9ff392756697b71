import { createHealth } from '@healthgate/core'
import { redisMaintenance } from '@healthgate/redis'
import { Redis } from 'ioredis'
import { cleanupRegistry } from '../support/cleanup.js'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.js'
import { ADMIN_TOKEN, serve } from '../support/http.js'
import { endpointOf, REDIS_URL, uniqueSuffix } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const later = cleanupRegistry()

async function instance(proxy: FaultProxy, key: string, instanceId: string) {
  const client = later(
    new Redis({ host: proxy.host, port: proxy.port, retryStrategy: (times) => Math.min(times * 50, 500) }),
    (c) => c.disconnect(),
  )
  client.on('error', () => {})
  await waitFor(() => client.status === 'ready', 2000)
  const store = redisMaintenance({ client, key, instanceId, refreshMs: 1000, timeoutMs: 500 })
  // health.close() closes the store it was given.
  const health = later(createHealth({ maintenance: store }), (h) => h.close())
  const server = later(await serve(health), (s) => s.close())
  await store.ready
  return { client, store, health, server }
}

async function setup() {
  const admin = later(new Redis(REDIS_URL), (c) => c.disconnect())
  const key = `healthgate:test:fleet:${uniqueSuffix()}`
  later(key, (k) => admin.del(k))
  const proxy = later(await createFaultProxy({ target: endpointOf(REDIS_URL, 6379) }), (p) => p.close())
  const a = await instance(proxy, key, 'a')
  const b = await instance(proxy, key, 'b')
  await sleep(50) // both subscribers listening
  return { admin, key, proxy, a, b }
}

const ready = async (server: { get(path: string): Promise<{ status: number }> }) =>
  (await server.get('/health/ready')).status

describe('fleet maintenance through Redis', () => {
  test('a fleet flip on one instance reaches both within 1 s, in and out', async () => {
    const { a, b } = await setup()
    expect([await ready(a.server), await ready(b.server)]).toEqual([200, 200])

    const started = performance.now()
    await a.store.setFleetMaintenance(true, 'fleet deploy 7')
    await waitFor(async () => (await ready(a.server)) === 503 && (await ready(b.server)) === 503, 1000)
    const onMs = performance.now() - started
    expect(b.health.maintenance).toMatchObject({
      enabled: true,
      scope: 'fleet',
      reason: 'fleet deploy 7',
      source: 'redis',
    })

    const leaving = performance.now()
    await b.store.setFleetMaintenance(false)
    await waitFor(async () => (await ready(a.server)) === 200 && (await ready(b.server)) === 200, 1000)
    const offMs = performance.now() - leaving
    expect(onMs).toBeLessThan(1000)
    expect(offMs).toBeLessThan(1000)
    process.stdout.write(
      `[measure] fleet maintenance: on at both in ${onMs.toFixed(0)} ms, off in ${offMs.toFixed(0)} ms\n`,
    )
  })

  test('the admin route flips one instance only', async () => {
    const { a, b, admin, key } = await setup()
    const put = await a.server.request(
      'PUT',
      '/health/maintenance',
      ADMIN_TOKEN,
      JSON.stringify({ reason: 'node a' }),
    )
    expect(put.status).toBe(200)
    expect(JSON.parse(put.body)).toMatchObject({
      enabled: true,
      reason: 'node a',
      source: 'redis',
      scope: 'instance',
    })
    expect(await ready(a.server)).toBe(503)
    await sleep(300)
    expect(await ready(b.server)).toBe(200)
    expect(JSON.parse((await admin.hget(key, 'instance:a')) ?? '{}')).toMatchObject({ reason: 'node a' })
    expect((await a.server.request('DELETE', '/health/maintenance', ADMIN_TOKEN)).status).toBe(200)
    expect(await ready(a.server)).toBe(200)
  })

  test('Redis black-holed for 5 s changes neither instance; both report the state as stale', async () => {
    const { a, b, proxy } = await setup()
    await a.store.set(true, 'a is draining')
    expect(await ready(a.server)).toBe(503)
    expect(await ready(b.server)).toBe(200)

    proxy.setMode('blackhole')
    const flips: string[] = []
    const started = performance.now()
    while (performance.now() - started < 5000) {
      if (!a.health.maintenance.enabled)
        flips.push(`a left maintenance at ${Math.round(performance.now() - started)} ms`)
      if (b.health.maintenance.enabled)
        flips.push(`b entered maintenance at ${Math.round(performance.now() - started)} ms`)
      const [statusA, statusB] = [await ready(a.server), await ready(b.server)]
      if (statusA !== 503) flips.push(`a answered ${statusA}`)
      if (statusB !== 200) flips.push(`b answered ${statusB}`)
      await sleep(100)
    }
    expect(flips).toEqual([])
    const note = 'redis unreachable; keeping last known maintenance state'
    expect(a.health.maintenance).toMatchObject({ enabled: true, reason: 'a is draining', stale: true, note })
    expect(b.health.maintenance).toMatchObject({ enabled: false, stale: true, note })
    // The detailed report says so too.
    const detailed = JSON.parse((await a.server.get('/health/ready', ADMIN_TOKEN)).body)
    expect(detailed.notes).toContain(note)
    const status = JSON.parse((await b.server.request('GET', '/health/maintenance', ADMIN_TOKEN)).body)
    expect(status).toMatchObject({ enabled: false, stale: true, note })

    proxy.setMode('pass')
    await waitFor(
      () => a.health.maintenance.stale === undefined && b.health.maintenance.stale === undefined,
      3000,
    )
    expect(a.health.maintenance).toMatchObject({ enabled: true, reason: 'a is draining' })
    expect(b.health.maintenance.enabled).toBe(false)
  })
})
