import * as grpc from '@grpc/grpc-js'
import {
  type CheckDefinition,
  createHealth,
  type Health,
  type HealthOptions,
  installShutdown,
} from '@healthgate/core'
import { addHealthService, proberIdOf, shutdownGrpcServer } from '@healthgate/grpc'
import { run } from '../cli/run.js'
import {
  connect,
  type GrpcInstance,
  type HealthStub,
  isGrpcError,
  type Serving,
  startGrpc,
  stopGrpc,
} from '../support/grpc.js'
import { ADMIN_TOKEN, serve, type TestServer } from '../support/http.js'
import { sleep, waitFor } from '../support/wait.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(
  options: HealthOptions = {},
): Promise<{ health: Health; grpcServer: GrpcInstance; http: TestServer; client: HealthStub }> {
  const health = createHealth(options)
  cleanups.push(() => health.close())
  const grpcServer = await startGrpc(health)
  cleanups.push(() => stopGrpc(grpcServer))
  const http = await serve(health)
  cleanups.push(() => http.close())
  const client = connect(grpcServer.port)
  cleanups.push(() => client.close())
  return { health, grpcServer, http, client }
}

const last = (seen: Serving[]): Serving | undefined => seen[seen.length - 1]

let failing = false
const flaky: CheckDefinition = {
  name: 'flaky',
  cacheTtlMs: 1,
  check: async () => {
    if (failing) throw new Error('down')
  },
}
beforeEach(() => {
  failing = false
})

describe('Check', () => {
  test('"" is readiness, a check name is that check, liveness and startup have names, unknown is NOT_FOUND', async () => {
    const { client, health } = await start({
      checks: [
        flaky,
        {
          name: 'cache',
          critical: false,
          check: async () => {
            throw new Error('cold')
          },
        },
      ],
    })
    expect(await client.check('')).toBe('SERVING') // `warn` (a non-critical failure) still serves
    expect(await client.check('cache')).toBe('NOT_SERVING')
    expect(await client.check('flaky')).toBe('SERVING')
    expect(await client.check('liveness')).toBe('SERVING')
    expect(await client.check('startup')).toBe('SERVING')
    failing = true
    expect(await client.check('flaky')).toBe('NOT_SERVING')
    expect(await client.check('')).toBe('NOT_SERVING')
    expect(await client.check('liveness')).toBe('SERVING') // liveness never depends on dependencies
    const unknown = await client.check('nope').catch((error: unknown) => error)
    expect(isGrpcError(unknown, grpc.status.NOT_FOUND)).toBe(true)
    health.add({ name: 'nope', check: async () => {} })
    expect(await client.check('nope')).toBe('SERVING')
  })

  test('NOT_SERVING while in maintenance flipped through the HTTP admin API, SERVING after', async () => {
    const { client, http } = await start({ checks: [flaky] })
    expect(await client.check('')).toBe('SERVING')
    expect((await http.request('PUT', '/health/maintenance', ADMIN_TOKEN)).status).toBe(200)
    expect(await client.check('')).toBe('NOT_SERVING')
    expect(await client.check('flaky')).toBe('SERVING') // a check's own name is unaffected, as over HTTP
    expect(await client.check('liveness')).toBe('SERVING')
    expect((await http.request('DELETE', '/health/maintenance', ADMIN_TOKEN)).status).toBe(200)
    expect(await client.check('')).toBe('SERVING')
  })

  test('a hung dependency answers NOT_SERVING within the check deadline + 200 ms', async () => {
    const { client } = await start({
      checks: [{ name: 'hung', timeoutMs: 300, check: () => new Promise<void>(() => {}) }],
    })
    for (const name of ['', 'hung']) {
      const started = performance.now()
      expect(await client.check(name)).toBe('NOT_SERVING')
      expect(performance.now() - started).toBeLessThan(300 + 200)
    }
  })

  test('unavailableFor: a matching prober gets NOT_SERVING as the status UNAVAILABLE (ALB judges codes only)', async () => {
    const health = createHealth()
    cleanups.push(() => health.close())
    const grpcServer = await startGrpc(health, { unavailableFor: /^ELB-HealthChecker\// })
    cleanups.push(() => stopGrpc(grpcServer))
    const alb = connect(grpcServer.port, 'ELB-HealthChecker/2.0')
    const kubelet = connect(grpcServer.port, 'kube-probe/1.30')
    cleanups.push(
      () => alb.close(),
      () => kubelet.close(),
    )
    expect(await alb.check('')).toBe('SERVING')
    await health.enterMaintenance()
    const error = await alb.check('').catch((e: unknown) => e)
    expect(isGrpcError(error, grpc.status.UNAVAILABLE)).toBe(true)
    expect(await kubelet.check('')).toBe('NOT_SERVING')
  })

  test('List answers every service name', async () => {
    const { client, health } = await start({ checks: [flaky] })
    await health.enterMaintenance('deploy')
    expect(await client.list()).toEqual({
      '': 'NOT_SERVING',
      liveness: 'SERVING',
      startup: 'SERVING',
      flaky: 'SERVING',
    })
  })
})

describe('Watch', () => {
  test('the current status at once, then NOT_SERVING within 1 s of maintenance on and SERVING within 1 s of off', async () => {
    const { client, http } = await start({ checks: [flaky] })
    const watch = client.watch('')
    await waitFor(() => watch.seen.length === 1, 2000)
    expect(watch.seen).toEqual(['SERVING'])

    await http.request('PUT', '/health/maintenance', ADMIN_TOKEN)
    const down = await waitFor(() => last(watch.seen) === 'NOT_SERVING', 1000)
    await http.request('DELETE', '/health/maintenance', ADMIN_TOKEN)
    const up = await waitFor(() => last(watch.seen) === 'SERVING', 1000)
    expect(down).toBeLessThan(1000)
    expect(up).toBeLessThan(1000)
    // Only changes: no repeated statuses.
    expect(watch.seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING'])
    watch.cancel()
  })

  test("a check's own name follows its results; an unknown name streams SERVICE_UNKNOWN and stays open", async () => {
    const { client, health, grpcServer } = await start({ checks: [{ ...flaky, intervalMs: 50 }] })
    const byName = client.watch('flaky')
    const unknown = client.watch('later')
    await waitFor(() => byName.seen.length === 1 && unknown.seen.length === 1, 2000)
    expect(byName.seen).toEqual(['SERVING'])
    expect(unknown.seen).toEqual(['SERVICE_UNKNOWN'])
    failing = true
    await waitFor(() => last(byName.seen) === 'NOT_SERVING', 1000)
    health.add({ name: 'later', check: async () => {} })
    await waitFor(() => last(unknown.seen) === 'SERVING', 1000)
    expect(grpcServer.service.watchers).toBe(2)
    byName.cancel()
    unknown.cancel()
    await waitFor(() => grpcServer.service.watchers === 0, 2000)
  })
})

describe('drain', () => {
  test('`maintenance on --wait` confirms the drain of a periodic gRPC prober', async () => {
    const { grpcServer, http } = await start({ unhealthyThreshold: 3 })
    const client = connect(grpcServer.port, 'GRPC-Prober/1.0')
    cleanups.push(() => client.close())
    const seen: Serving[] = []
    let stopped = false
    const prober = (async () => {
      while (!stopped) {
        seen.push(await client.check(''))
        await sleep(40)
      }
    })()
    cleanups.push(async () => {
      stopped = true
      await prober
    })
    await waitFor(() => seen.length >= 3)
    const result = await run(
      ['maintenance', 'on', '--url', `${http.url}/health`, '--wait', '--interval', '30ms', '--timeout', '5s'],
      { env: { HEALTHGATE_ADMIN_TOKEN: ADMIN_TOKEN } },
    )
    expect(result.stdout).toMatch(/drained: yes/)
    expect(result.code).toBe(0)
    expect(seen.slice(-3)).toEqual(['NOT_SERVING', 'NOT_SERVING', 'NOT_SERVING'])
  })

  test('the prober id is the peer address without its port plus the user-agent, as over HTTP', () => {
    const call = (peer: string, agent?: string) => ({
      getPeer: () => peer,
      metadata: { get: () => (agent === undefined ? [] : [agent]) },
    })
    expect(proberIdOf(call('ipv4:10.0.0.7:51234', 'kube-probe/1.30'))).toBe('10.0.0.7 kube-probe/1.30')
    expect(proberIdOf(call('[::1]:4000', 'grpc-go/1.60'))).toBe('::1 grpc-go/1.60')
    expect(proberIdOf(call('10.0.0.8:9'))).toBe('10.0.0.8')
  })

  test('installShutdown drains (readiness NOT_SERVING, drain confirmed) before the gRPC server shuts down', async () => {
    const health = createHealth({ unhealthyThreshold: 2 })
    cleanups.push(() => health.close())
    const grpcServer = await startGrpc(health)
    cleanups.push(() => stopGrpc(grpcServer))
    // A Kubernetes-like prober: a balancer from its first Check, so the drain waits for it.
    const client = connect(grpcServer.port, 'kube-probe/1.30')
    cleanups.push(() => client.close())
    const watch = client.watch('')
    await waitFor(() => watch.seen.length === 1)
    const events: string[] = []
    const shutdown = installShutdown(health, {
      signals: [],
      exit: false,
      maxDrainMs: 5000,
      drainPollMs: 10,
      logger: {
        info: (m: string) => events.push(m),
        warn: (m: string) => events.push(m),
        error: (m: string) => events.push(m),
      },
      close: async () => {
        events.push('closing gRPC')
        await shutdownGrpcServer(grpcServer.server, { service: grpcServer.service, timeoutMs: 2000 })
      },
    })
    expect(await client.check('')).toBe('SERVING')
    const done = shutdown.shutdown('test')
    const statuses: Serving[] = []
    while (statuses.length < 2) {
      statuses.push(await client.check(''))
      await sleep(20)
    }
    expect(statuses).toEqual(['NOT_SERVING', 'NOT_SERVING'])
    await done
    expect(events.findIndex((m) => m.startsWith('drain confirmed'))).toBeLessThan(
      events.indexOf('closing gRPC'),
    )
    expect(watch.seen).toEqual(['SERVING', 'NOT_SERVING'])
    // The Watch stream was ended, so tryShutdown did not have to be forced.
    await expect(client.check('')).rejects.toBeDefined()
  })
})

test('addHealthService rejects bad options', () => {
  const health = createHealth()
  cleanups.push(() => health.close())
  const server = new grpc.Server()
  expect(() => addHealthService(server, health, { liveness: '' })).toThrow(
    'addHealthService(): expected `liveness`',
  )
})
