import {
  startHealthServer,
  startProber as startProberOn,
  ADMIN_TOKEN as TOKEN,
} from '../../../../test/support/probers.js'
import { createHandler } from '../handler.js'
import { createHealth, type Health, type HealthOptions } from '../health.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function makeHealth(options: HealthOptions = {}): Health {
  const health = createHealth(options)
  cleanups.push(() => health.close())
  return health
}

/** Records a probe from an identity the default matchers take for a balancer from its first request. */
const lbProbe = (health: Health, id: string, status: number, now?: number) =>
  health.recordProbe(id, status, now, '10.9.9.9', 'kube-probe/1.30')

const startServer = (health: Health) => startHealthServer(health, cleanups)
const startProber = (port: number, userAgent: string, intervalMs: number) =>
  startProberOn(port, userAgent, intervalMs, cleanups)

describe('drain confirmation', () => {
  it('is confirmed only once every prober saw `unhealthyThreshold` consecutive 503s', async () => {
    const health = makeHealth({ unhealthyThreshold: 3 })
    const handler = createHandler(health)
    const probe = (address: string, userAgent: string) =>
      handler.handle({
        method: 'GET',
        url: '/health/ready',
        headers: { 'user-agent': userAgent },
        remoteAddress: address,
      })
    await probe('10.0.0.1', 'ELB-HealthChecker/2.0')
    await probe('10.0.0.2', 'ELB-HealthChecker/2.0')
    expect(health.drainStatus()).toMatchObject({ draining: false, drained: false })

    await health.enterMaintenance('deploy')
    for (let i = 0; i < 3; i++) await probe('10.0.0.1', 'ELB-HealthChecker/2.0')
    await probe('10.0.0.2', 'ELB-HealthChecker/2.0')
    await probe('10.0.0.2', 'ELB-HealthChecker/2.0')
    expect(health.drainStatus()).toMatchObject({ draining: true, drained: false })
    await probe('10.0.0.2', 'ELB-HealthChecker/2.0')
    const status = health.drainStatus()
    expect(status.drained).toBe(true)
    expect(status.probers.map(({ id, consecutive503 }) => [id, consecutive503])).toEqual([
      ['10.0.0.1 ELB-HealthChecker/2.0', 3],
      ['10.0.0.2 ELB-HealthChecker/2.0', 3],
    ])
  })

  it('counts readiness answers only: liveness, startup, single checks and the admin API neither add nor reset probers', async () => {
    const health = makeHealth({ checks: [{ name: 'db', check: () => {} }] })
    const handler = createHandler(health, { adminToken: TOKEN })
    const from = (url: string, method = 'GET') =>
      handler.handle({
        method,
        url,
        headers: { 'user-agent': 'kube-probe/1.30', authorization: `Bearer ${TOKEN}` },
        remoteAddress: '10.1.0.1',
      })
    for (const url of ['/health/live', '/health/startup', '/health/checks/db', '/health/maintenance'])
      await from(url)
    expect(health.drainStatus().probers).toEqual([])
    expect((await from('/health'))?.status).toBe(200)

    await health.enterMaintenance()
    expect((await from('/health'))?.status).toBe(503)
    // The kubelet probes liveness from the same address with the same User-Agent: it must not reset the count.
    expect((await from('/health/live'))?.status).toBe(200)
    expect(health.drainStatus().drained).toBe(false)
    await from('/health/ready', 'HEAD')
    expect(health.drainStatus().probers).toEqual([
      {
        id: '10.1.0.1 kube-probe/1.30',
        kind: 'matched',
        intervalMs: expect.any(Number),
        consecutive503: 2,
        holding: false,
        lastSeen: expect.any(String),
      },
    ])
    expect(health.drainStatus().drained).toBe(true)
  })

  it('reports draining, drained and the probers on GET /health/maintenance', async () => {
    const health = makeHealth({ unhealthyThreshold: 1 })
    const handler = createHandler(health, { adminToken: TOKEN })
    await handler.handle({
      method: 'HEAD',
      url: '/health/ready',
      headers: { 'user-agent': 'GoogleHC/1.0' },
      remoteAddress: '10.0.0.9',
    })
    const admin = { authorization: `Bearer ${TOKEN}` }
    const on = await handler.handle({
      method: 'PUT',
      url: '/health/maintenance',
      headers: admin,
      body: '{"reason":"v2"}',
    })
    expect(JSON.parse(on?.body ?? '')).toMatchObject({
      enabled: true,
      reason: 'v2',
      draining: true,
      drained: false,
    })
    await handler.handle({
      method: 'HEAD',
      url: '/health/ready',
      headers: { 'user-agent': 'GoogleHC/1.0' },
      remoteAddress: '10.0.0.9',
    })
    const got = JSON.parse(
      (await handler.handle({ method: 'GET', url: '/health/maintenance', headers: admin }))?.body ?? '',
    )
    expect(got).toEqual({
      enabled: true,
      reason: 'v2',
      since: expect.any(String),
      source: 'memory',
      draining: true,
      drained: true,
      probers: [
        {
          id: '10.0.0.9 GoogleHC/1.0',
          kind: 'matched',
          intervalMs: expect.any(Number),
          consecutive503: 1,
          holding: false,
          lastSeen: expect.any(String),
        },
      ],
      unhealthyThreshold: 1,
      unconfirmed: 0,
    })
    expect(Date.parse(got.probers[0].lastSeen)).toBeGreaterThan(Date.now() - 5000)
  })

  it('does not wait for a balancer that never saw the instance healthy, nor for a one-off request', async () => {
    const health = makeHealth()
    lbProbe(health, 'lb', 200)
    await health.enterMaintenance()
    health.recordProbe('curl-during-the-drain', 503, undefined, '10.0.0.7', 'curl/8.5.0')
    lbProbe(health, 'lb', 503)
    expect(health.drainStatus().drained).toBe(false)
    lbProbe(health, 'lb', 503)
    expect(health.drainStatus()).toMatchObject({
      drained: true,
      probers: [{ id: 'lb', kind: 'matched', consecutive503: 2 }],
      unconfirmed: 1,
    })
  })

  it('resets a prober on a 200 and starts counting again', async () => {
    const health = makeHealth()
    lbProbe(health, 'lb', 503)
    lbProbe(health, 'lb', 200)
    await health.enterMaintenance()
    lbProbe(health, 'lb', 503)
    expect(health.drainStatus().drained).toBe(false)
    lbProbe(health, 'lb', 503)
    expect(health.drainStatus().drained).toBe(true)
  })

  it('confirms at once when no prober is around, but never while not draining', async () => {
    const health = makeHealth()
    expect(health.drainStatus()).toEqual({
      draining: false,
      drained: false,
      probers: [],
      unhealthyThreshold: 2,
      unconfirmed: 0,
    })
    health.startDraining()
    expect(health.drainStatus()).toEqual({
      draining: true,
      drained: true,
      probers: [],
      unhealthyThreshold: 2,
      unconfirmed: 0,
    })
  })

  it('keeps waiting for a slow prober that is still probing at its interval', async () => {
    const health = makeHealth({ unhealthyThreshold: 2 })
    const { port } = await startServer(health)
    const prober = startProber(port, 'slow-lb', 400)
    // Three probes at a steady interval: a periodic balancer.
    for (let waited = 0; health.drainStatus().probers.length === 0 && waited < 10_000; waited += 50)
      await sleep(50)
    // Seen healthy more than once: its interval is known, so only its silence would drop it.
    expect(prober.statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(2)
    await health.enterMaintenance()
    const waited = await health.waitForDrain({ maxMs: 5000, pollMs: 20 })
    expect(waited.drained).toBe(true)
    // Two more probes at ~400 ms each: it held confirmation up instead of being taken for gone.
    expect(waited.waitedMs).toBeGreaterThan(300)
    expect(health.drainStatus().probers).toEqual([
      {
        id: '127.0.0.1 slow-lb',
        kind: 'periodic',
        intervalMs: expect.any(Number),
        consecutive503: 2,
        holding: false,
        lastSeen: expect.any(String),
      },
    ])
  })

  it('stops waiting for a prober that went silent for three of its intervals, long before `proberTtlMs`', async () => {
    const health = makeHealth({ proberTtlMs: 60_000 })
    const { port } = await startServer(health)
    const prober = startProber(port, 'one-off-script', 30)
    await sleep(200)
    await prober.stop()
    expect(prober.statuses.every((status) => status === 200)).toBe(true)
    await health.enterMaintenance()
    expect(health.drainStatus().drained).toBe(false)
    const waited = await health.waitForDrain({ maxMs: 10_000, pollMs: 20 })
    expect({ waited, status: health.drainStatus() }).toMatchObject({ waited: { drained: true } })
    // max(3 x interval, interval + 1 s) after its last probe.
    expect(waited.waitedMs).toBeLessThan(2500)
    expect(health.drainStatus().probers).toEqual([])
  })

  it('holds a prober seen only once until `proberTtlMs`, then forgets it', async () => {
    const health = makeHealth({ proberTtlMs: 300 })
    lbProbe(health, 'seen-once', 200)
    await health.enterMaintenance()
    expect(health.drainStatus().drained).toBe(false)
    const waited = await health.waitForDrain({ maxMs: 3000, pollMs: 10 })
    expect(waited.drained).toBe(true)
    expect(waited.waitedMs).toBeGreaterThan(200)
    expect(waited.waitedMs).toBeLessThan(1000)
  })

  it('caps waitForDrain at maxMs, wakes on abort, and validates its options', async () => {
    const health = makeHealth()
    lbProbe(health, 'lb', 200)
    health.startDraining()
    const capped = await health.waitForDrain({ maxMs: 150, pollMs: 50 })
    expect(capped.drained).toBe(false)
    expect(capped.waitedMs).toBeGreaterThanOrEqual(140)
    expect(capped.waitedMs).toBeLessThan(400)

    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const aborted = await health.waitForDrain({ maxMs: 10_000, pollMs: 5000, signal: controller.signal })
    expect(aborted.drained).toBe(false)
    expect(aborted.waitedMs).toBeLessThan(1000)

    await expect(health.waitForDrain({ maxMs: 0 })).rejects.toThrow(
      'health.waitForDrain(): expected `maxMs` to be a positive number, got number 0',
    )
    await expect(health.waitForDrain({ maxMs: 10, pollMs: -1 })).rejects.toThrow(
      'health.waitForDrain(): expected `pollMs` to be a positive number, got number -1',
    )
    await expect(health.waitForDrain({ maxMs: 10, poll: 5 } as never)).rejects.toThrow(
      'health.waitForDrain(): unknown option `poll`; did you mean `pollMs`?',
    )
    expect(() => health.recordProbe(42 as never, 200)).toThrow('Expected `id` to be a string')
    expect(() => health.recordProbe('lb', '503' as never)).toThrow('Expected `httpStatus` to be an integer')
  })

  it('is confirmed only after each prober saw the threshold of consecutive 503s', async () => {
    const h = makeHealth({ checks: [{ name: 'db', check: () => {} }], unhealthyThreshold: 2 })
    lbProbe(h, '10.0.0.1 ELB-HealthChecker/2.0', 200)
    lbProbe(h, '10.0.0.2 ELB-HealthChecker/2.0', 200)
    expect(h.drainStatus().drained).toBe(false)
    await h.enterMaintenance()
    lbProbe(h, '10.0.0.1 ELB-HealthChecker/2.0', 503)
    lbProbe(h, '10.0.0.1 ELB-HealthChecker/2.0', 503)
    lbProbe(h, '10.0.0.2 ELB-HealthChecker/2.0', 503)
    expect(h.drainStatus().drained).toBe(false)
    lbProbe(h, '10.0.0.2 ELB-HealthChecker/2.0', 503)
    const status = h.drainStatus()
    expect(status.drained).toBe(true)
    expect(status.probers.map((p) => p.consecutive503)).toEqual([2, 2])
  })

  it('forgets a prober that vanished, and waitForDrain stops at maxMs', async () => {
    const h = makeHealth({ proberTtlMs: 100 })
    lbProbe(h, 'gone', 200)
    await h.enterMaintenance()
    const capped = await h.waitForDrain({ maxMs: 40, pollMs: 10 })
    expect(capped.drained).toBe(false)
    expect(capped.waitedMs).toBeLessThan(200)
    const later = await h.waitForDrain({ maxMs: 2000, pollMs: 10 })
    expect(later.drained).toBe(true)
    expect(later.waitedMs).toBeLessThan(1000)
  })

  it('dates a probe by the `now` it is given', async () => {
    const h = makeHealth({ proberTtlMs: 1000 })
    const now = performance.now()
    lbProbe(h, 'stale', 200, now - 5000)
    lbProbe(h, 'fresh', 200, now)
    await h.enterMaintenance()
    // The stale prober is no longer active, so only the fresh one holds the drain back.
    expect(h.drainStatus().probers.map((p) => p.id)).toEqual(['fresh'])
    lbProbe(h, 'fresh', 503, now + 1)
    lbProbe(h, 'fresh', 503, now + 2)
    expect(h.drainStatus().drained).toBe(true)
    expect(() => lbProbe(h, 'fresh', 503, Number.NaN)).toThrow(
      /Expected `now` to be a number, got number NaN/,
    )
  })
})
