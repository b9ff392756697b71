// gRPC health service under load and against a real dependency. Here rather than in the unit project:
// 10,000 streams are too heavy for --detectOpenHandles' async hooks, and the dependency is a real Redis.
import { createHealth } from '@healthgate/core'
import { redisCheck } from '@healthgate/redis'
import { Redis } from 'ioredis'
import { createFaultProxy } from '../support/fault-proxy.js'
import { connect, type HealthStub, type Serving, startGrpc, stopGrpc } from '../support/grpc.js'
import { endpointOf, REDIS_URL } from '../support/services.js'
import { waitFor } from '../support/wait.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const last = (seen: Serving[]): Serving | undefined => seen[seen.length - 1]

describe('gRPC Watch', () => {
  test("a dependency going down through the fault proxy shows up on the check's own service name", async () => {
    const proxy = await createFaultProxy({ target: endpointOf(REDIS_URL, 6379) })
    cleanups.push(() => proxy.close())
    const client = new Redis({
      host: proxy.host,
      port: proxy.port,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 50, 500),
    })
    client.on('error', () => {})
    cleanups.push(() => client.disconnect())
    await waitFor(() => client.status === 'ready', 2000)
    const health = createHealth({
      checks: [redisCheck({ client }, { name: 'redis', timeoutMs: 300, intervalMs: 100, cacheTtlMs: 100 })],
    })
    cleanups.push(() => health.close())
    const grpcServer = await startGrpc(health)
    cleanups.push(() => stopGrpc(grpcServer))
    const stub = connect(grpcServer.port)
    cleanups.push(() => stub.close())

    const byName = stub.watch('redis')
    const readiness = stub.watch('')
    await waitFor(() => last(byName.seen) === 'SERVING' && last(readiness.seen) === 'SERVING', 3000)
    proxy.setMode('blackhole')
    await waitFor(() => last(byName.seen) === 'NOT_SERVING', 3000)
    await waitFor(() => last(readiness.seen) === 'NOT_SERVING', 1000)
    expect(await stub.check('redis')).toBe('NOT_SERVING')
    proxy.setMode('pass')
    await waitFor(() => last(byName.seen) === 'SERVING', 5000)
    byName.cancel()
    readiness.cancel()
  })

  test('10,000 streams: at most one run per check per TTL, every stream released after cancel', async () => {
    let runs = 0
    const ttl = 200
    const health = createHealth({
      checks: [{ name: 'dep', cacheTtlMs: ttl, check: async () => void runs++ }],
    })
    cleanups.push(() => health.close())
    // Count live subscriptions to the health's events, to prove none is left behind.
    let subscribed = 0
    for (const method of ['onCheckChange', 'onStatusChange', 'onLifecycleChange'] as const) {
      const original = health[method].bind(health) as (listener: never) => () => void
      ;(health as unknown as Record<string, unknown>)[method] = (listener: never) => {
        subscribed++
        const off = original(listener)
        return () => {
          subscribed--
          off()
        }
      }
    }
    const grpcServer = await startGrpc(health)
    cleanups.push(() => stopGrpc(grpcServer))
    const clients = Array.from({ length: 4 }, () => connect(grpcServer.port))
    cleanups.push(() => {
      for (const client of clients) client.close()
    })

    const started = performance.now()
    const watches = Array.from({ length: 10_000 }, (_, i) =>
      (clients[i % clients.length] as HealthStub).watch(i % 2 === 0 ? '' : 'dep'),
    )
    await waitFor(() => watches.every((watch) => watch.seen.length >= 1), 30_000, 50)
    expect(grpcServer.service.watchers).toBe(10_000)
    expect(subscribed).toBe(3) // one subscription serves every stream
    await health.enterMaintenance()
    await waitFor(
      () => watches.every((watch, i) => i % 2 === 1 || last(watch.seen) === 'NOT_SERVING'),
      10_000,
      50,
    )
    const elapsed = performance.now() - started
    expect(runs).toBeLessThanOrEqual(Math.ceil(elapsed / ttl) + 1)

    for (const watch of watches) watch.cancel()
    await waitFor(() => grpcServer.service.watchers === 0, 20_000, 50)
    expect(subscribed).toBe(0)
  }, 90_000)
})
