import { redisCheck } from '@healthgate/redis'
import { Redis, type RedisOptions } from 'ioredis'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.js'
import { runCheck as run, type Settled } from '../support/run-check.js'
import { endpointOf, REDIS_URL } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const message = (settled: Settled): string => (settled.ok ? '' : settled.error.message)

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function connect(options: RedisOptions): Redis {
  const client = new Redis({ ...options, retryStrategy: (times) => Math.min(times * 50, 500) })
  client.on('error', () => {})
  cleanups.push(() => client.disconnect())
  return client
}

async function proxied(): Promise<{ proxy: FaultProxy; client: Redis }> {
  const proxy = await createFaultProxy({ target: endpointOf(REDIS_URL, 6379) })
  cleanups.push(() => proxy.close())
  const client = connect({ host: proxy.host, port: proxy.port })
  await waitFor(() => client.status === 'ready', 2000)
  return { proxy, client }
}

describe('redisCheck({ client: Redis })', () => {
  test('passes with the PING round trip in ms', async () => {
    const client = connect(endpointOf(REDIS_URL, 6379))
    await waitFor(() => client.status === 'ready', 2000)
    const result = await run(redisCheck({ client }))
    expect(result).toMatchObject({
      ok: true,
      value: { observedUnit: 'ms', observedValue: expect.any(Number) },
    })
  })

  test('a connection that is not ready fails at once, without waiting in the offline queue', async () => {
    const client = connect({ ...endpointOf(REDIS_URL, 6379), lazyConnect: true })
    const result = await run(redisCheck({ client }))
    expect(message(result)).toBe('Redis connection is wait, not ready; not waiting for it')
    expect(result.ms).toBeLessThan(500) // at once, not at the 1,000 ms deadline
    // Nothing was queued that would connect the lazy client.
    await sleep(50)
    expect(client.status).toBe('wait')
  })

  test('Redis gone (connections reset, ioredis reconnecting): fails at once, passes again after', async () => {
    const { proxy, client } = await proxied()
    const definition = redisCheck({ client })
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('reset')
    await waitFor(() => client.status !== 'ready', 1000)
    const failed = await run(definition)
    expect(message(failed)).toMatch(/^Redis connection is (reconnecting|connecting|connect|close), not ready/)
    expect(failed.ms).toBeLessThan(500) // at once, not at the 1,000 ms deadline
    proxy.setMode('pass')
    await waitFor(() => client.status === 'ready', 2000)
    expect(await run(definition)).toMatchObject({ ok: true })
  })

  test('black-holed while ready: settles at the deadline; no second PING queued behind the unanswered one', async () => {
    const { proxy, client } = await proxied()
    const definition = redisCheck({ client })
    proxy.setMode('blackhole')
    const hung = await run(definition, 200)
    expect(message(hung)).toBe('timed out after 200 ms')
    expect(hung.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    const bytesBefore = proxy.stats.bytesIn
    const next = await run(definition, 1000)
    expect(message(next)).toMatch(/^previous PING still unanswered after \d+ ms$/)
    expect(next.ms).toBeLessThan(500) // at once, not at the 1,000 ms deadline
    expect(proxy.stats.bytesIn).toBe(bytesBefore)
    proxy.setMode('pass')
    await sleep(100)
    expect(await run(definition)).toMatchObject({ ok: true })
  })

  test('a PING error is reported with its message, never the credentials', async () => {
    const admin = connect(endpointOf(REDIS_URL, 6379))
    const user = `healthgate-noping-${process.pid}-${Date.now()}`
    await admin.call('ACL', 'SETUSER', user, 'on', '>n0t-shown-pw', '~*', '&*', '+@all', '-ping')
    cleanups.push(() => admin.call('ACL', 'DELUSER', user))
    const client = connect({ ...endpointOf(REDIS_URL, 6379), username: user, password: 'n0t-shown-pw' })
    await waitFor(() => client.status === 'ready', 2000)
    const result = await run(redisCheck({ client }))
    expect(message(result)).toMatch(/^PING failed: NOPERM .*'ping'/)
    expect(message(result)).not.toContain('n0t-shown-pw')
  })
})
