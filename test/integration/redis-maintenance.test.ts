import type { MaintenanceState } from '@healthgate/core'
import { type RedisMaintenanceOptions, type RedisMaintenanceStore, redisMaintenance } from '@healthgate/redis'
import { Redis } from 'ioredis'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.js'
import { endpointOf, REDIS_URL, uniqueSuffix } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function connect(endpoint = endpointOf(REDIS_URL, 6379)): Redis {
  const client = new Redis({ ...endpoint, retryStrategy: (times) => Math.min(times * 50, 300) })
  client.on('error', () => {})
  cleanups.push(() => client.disconnect())
  return client
}

/** A key of this test alone, deleted afterwards. */
function testKey(admin: Redis): string {
  const key = `healthgate:test:maintenance:${uniqueSuffix()}`
  cleanups.push(() => admin.del(key))
  return key
}

function open(options: RedisMaintenanceOptions): RedisMaintenanceStore {
  const store = redisMaintenance(options)
  cleanups.push(() => store.close())
  return store
}

async function proxied(): Promise<{ proxy: FaultProxy; client: Redis }> {
  const proxy = await createFaultProxy({ target: endpointOf(REDIS_URL, 6379) })
  cleanups.push(() => proxy.close())
  const client = connect({ host: proxy.host, port: proxy.port })
  await waitFor(() => client.status === 'ready', 5000)
  return { proxy, client }
}

describe('redisMaintenance options', () => {
  test('reject bad options with errors naming the option', () => {
    const client = connect()
    expect(() => redisMaintenance(null as never)).toThrow(TypeError)
    expect(() => redisMaintenance({ client: {} as never })).toThrow(
      'redisMaintenance(): expected `client` to be an ioredis Redis or Cluster, got an object',
    )
    expect(() => redisMaintenance({ client, key: '' })).toThrow(
      'redisMaintenance(): expected `key` to be a non-empty string',
    )
    expect(() => redisMaintenance({ client, instanceId: ' ' })).toThrow(
      'redisMaintenance(): expected `instanceId` to be a non-empty string',
    )
    expect(() => redisMaintenance({ client, refreshMs: -1 })).toThrow(
      'redisMaintenance(): expected `refreshMs` to be a positive number, got number -1',
    )
    expect(() => redisMaintenance({ client, timeoutMs: 0 })).toThrow(
      'redisMaintenance(): expected `timeoutMs` to be a positive number',
    )
    expect(() => redisMaintenance({ client, onError: 'log' as never })).toThrow(
      'redisMaintenance(): expected `onError` to be a function, got the string "log"',
    )
    expect(() => redisMaintenance({ client, refreshMS: 100 } as never)).toThrow(
      /^redisMaintenance\(\): unknown option `refreshMS`; did you mean `refreshMs`\? /,
    )
  })

  test('the default instance id is host name and pid', () => {
    const store = open({ client: connect(), key: testKey(connect()) })
    expect(store.instanceId).toMatch(new RegExp(`:${process.pid}$`))
  })
})

describe('redisMaintenance', () => {
  test('starts stale until the first read, then reports the hash', async () => {
    const admin = connect()
    const key = testKey(admin)
    await admin.hset(
      key,
      'instance:a',
      JSON.stringify({ reason: 'pre-existing', since: '2024-01-01T00:00:00.000Z' }),
    )
    const store = open({ client: connect(), key, instanceId: 'a' })
    expect(store.read()).toMatchObject({ enabled: false, source: 'redis', stale: true })
    await store.ready
    expect(store.read()).toEqual({
      enabled: true,
      source: 'redis',
      scope: 'instance',
      reason: 'pre-existing',
      since: '2024-01-01T00:00:00.000Z',
    })
  })

  test('set() writes this instance field as JSON and resolves once read() shows it; leaving deletes it', async () => {
    const admin = connect()
    const key = testKey(admin)
    const store = open({ client: connect(), key, instanceId: 'web-1' })
    await store.ready
    await store.set(true, '  deploy 42  ')
    expect(store.read()).toMatchObject({
      enabled: true,
      scope: 'instance',
      reason: 'deploy 42',
      source: 'redis',
    })
    const raw = await admin.hget(key, 'instance:web-1')
    expect(JSON.parse(raw ?? '{}')).toEqual({ reason: 'deploy 42', since: store.read().since })
    await store.set(false)
    expect(store.read()).toEqual({ enabled: false, source: 'redis' })
    expect(await admin.hexists(key, 'instance:web-1')).toBe(0)
  })

  test('an instance flag stays with its instance; a fleet flag reaches every instance within 1 s', async () => {
    const admin = connect()
    const key = testKey(admin)
    // A long refresh interval: only the pub/sub announcement can deliver the change this fast.
    const a = open({ client: connect(), key, instanceId: 'a', refreshMs: 60_000 })
    const b = open({ client: connect(), key, instanceId: 'b', refreshMs: 60_000 })
    await Promise.all([a.ready, b.ready])
    await sleep(50) // both subscribers connected
    await a.set(true, 'only a')
    await sleep(200)
    expect(a.read().enabled).toBe(true)
    expect(b.read().enabled).toBe(false)

    const started = performance.now()
    await a.setFleetMaintenance(true, 'fleet deploy')
    await waitFor(() => b.read().enabled, 1000)
    const elapsed = performance.now() - started
    expect(elapsed).toBeLessThan(1000)
    expect(b.read()).toMatchObject({ enabled: true, scope: 'fleet', reason: 'fleet deploy' })
    // The fleet flag wins over a's own one while both are set.
    expect(a.read()).toMatchObject({ enabled: true, scope: 'fleet', reason: 'fleet deploy' })

    await b.setFleetMaintenance(false)
    await waitFor(() => a.read().scope === 'instance', 1000)
    expect(a.read()).toMatchObject({ enabled: true, reason: 'only a' })
    await waitFor(() => !b.read().enabled, 1000)
  })

  test('a flag set by hand with a plain string is understood; the periodic re-read catches unannounced changes', async () => {
    const admin = connect()
    const key = testKey(admin)
    const store = open({ client: connect(), key, instanceId: 'x', refreshMs: 100 })
    await store.ready
    // No announcement on the channel: only the periodic re-read can see this.
    await admin.hset(key, 'fleet', 'database migration')
    await waitFor(() => store.read().enabled, 1000)
    expect(store.read()).toEqual({
      enabled: true,
      source: 'redis',
      scope: 'fleet',
      reason: 'database migration',
    })
    await admin.hdel(key, 'fleet')
    await waitFor(() => !store.read().enabled, 1000)
  })

  test('subscribers hear each change; a throwing one does not stop the others and reaches onError', async () => {
    const admin = connect()
    const key = testKey(admin)
    const errors: unknown[] = []
    const store = open({ client: connect(), key, instanceId: 's', onError: (error) => errors.push(error) })
    await store.ready
    const seen: MaintenanceState[] = []
    store.subscribe?.(() => {
      throw new Error('listener bug')
    })
    const dispose = store.subscribe?.((state) => seen.push(state))
    await store.set(true, 'r')
    await store.set(false)
    expect(seen.map((state) => state.enabled)).toEqual([true, false])
    expect(errors.map((error) => (error as Error).message)).toEqual(['listener bug', 'listener bug'])
    dispose?.()
    await store.set(true)
    expect(seen).toHaveLength(2)
  })

  test('Redis reset: the last known state is kept, marked stale; set() fails fast; recovers afterwards', async () => {
    const admin = connect()
    const key = testKey(admin)
    const { proxy, client } = await proxied()
    const store = open({ client, key, instanceId: 'r', refreshMs: 100 })
    await store.ready
    await store.set(true, 'draining')
    proxy.setMode('reset')
    await waitFor(() => store.read().stale === true, 3000)
    expect(store.read()).toMatchObject({
      enabled: true,
      reason: 'draining',
      stale: true,
      note: 'redis unreachable; keeping last known maintenance state',
    })
    const started = performance.now()
    await expect(store.set(false)).rejects.toThrow(
      /^cannot change maintenance: Redis connection is \w+, not ready$/,
    )
    expect(performance.now() - started).toBeLessThan(500) // at once: no wait for a reconnect or a timeout
    // Meanwhile the flag was cleared by someone else: seen once Redis is back.
    await admin.hdel(key, 'instance:r')
    proxy.setMode('pass')
    // Recovery, not its speed: under a loaded Redis and machine (the flapping test runs beside this one) the
    // reconnect and the next refresh took over 2 s once.
    await waitFor(() => store.read().stale === undefined, 5000)
    expect(store.read()).toEqual({ enabled: false, source: 'redis' })
  })

  test('Redis black-holed: reads time out, the state is kept and marked stale, and recovers', async () => {
    const admin = connect()
    const key = testKey(admin)
    const { proxy, client } = await proxied()
    const store = open({ client, key, instanceId: 'h', refreshMs: 100, timeoutMs: 200 })
    await store.ready
    await store.set(true, 'kept')
    proxy.setMode('blackhole')
    await waitFor(() => store.read().stale === true, 3000)
    const bytes = proxy.stats.bytesIn
    await sleep(500)
    // One read is outstanding; no further one is queued behind it.
    expect(proxy.stats.bytesIn).toBe(bytes)
    expect(store.read()).toMatchObject({ enabled: true, reason: 'kept', stale: true })
    proxy.setMode('pass')
    // Recovery, not its speed: under a loaded Redis and machine (the flapping test runs beside this one) the
    // reconnect and the next refresh took over 2 s once.
    await waitFor(() => store.read().stale === undefined, 5000)
    expect(store.read()).toMatchObject({ enabled: true, reason: 'kept', scope: 'instance' })
  })

  test('close() ends the subscriber connection it owns and leaves the application client alone', async () => {
    const admin = connect()
    const key = testKey(admin)
    const { proxy, client } = await proxied()
    expect(proxy.stats.activeConnections).toBe(1)
    const store = redisMaintenance({ client, key, instanceId: 'c' })
    await store.ready
    await waitFor(() => proxy.stats.activeConnections === 2, 3000)
    await store.close()
    await waitFor(() => proxy.stats.activeConnections === 1, 3000)
    expect(client.status).toBe('ready')
    expect(await client.ping()).toBe('PONG')
    await store.close()
    await expect(store.set(true)).rejects.toThrow('closed')
  })
})
