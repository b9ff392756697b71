import { createHealth, type Health, type HealthOptions } from '../health.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function makeHealth(options: HealthOptions = {}): Health {
  const health = createHealth(options)
  cleanups.push(() => health.close())
  return health
}

/** A balancer probing every `intervalMs` from `start`: `count` probes with `status`, returns the next time. */
function periodic(
  health: Health,
  id: string,
  start: number,
  count: number,
  status: number,
  intervalMs = 1000,
) {
  const [address, agent] = id.split(' ')
  for (let i = 0; i < count; i++) health.recordProbe(id, status, start + i * intervalMs, address, agent)
  return start + count * intervalMs
}

describe('the balancer model', () => {
  it('never waits for one-off requests: curl, healthgate probe, the CLI polls, an uptime monitor', async () => {
    const health = makeHealth({ proberTtlMs: 60_000 })
    const t0 = performance.now()
    health.recordProbe('10.0.0.5 curl/8.5.0', 200, t0, '10.0.0.5', 'curl/8.5.0')
    // The CLI polls at a steady interval, and still never counts.
    for (let i = 0; i < 5; i++) {
      health.recordProbe(
        '127.0.0.1 healthgate-cli/0.1.0',
        200,
        t0 + i * 500,
        '127.0.0.1',
        'healthgate-cli/0.1.0',
      )
    }
    health.recordProbe('10.0.0.6 UptimeRobot/2.0', 200, t0 + 10, '10.0.0.6', 'UptimeRobot/2.0')
    health.recordProbe('10.0.0.6 UptimeRobot/2.0', 200, t0 + 20_010, '10.0.0.6', 'UptimeRobot/2.0')
    await health.enterMaintenance()
    expect(health.drainStatus(/* now */)).toMatchObject({ drained: true, probers: [], unconfirmed: 3 })
    const waited = await health.waitForDrain({ maxMs: 5000, pollMs: 10 })
    expect(waited).toMatchObject({ drained: true })
    expect(waited.waitedMs).toBeLessThan(200)
  })

  it('waits for a periodic balancer until it saw the threshold of 503s (the control)', async () => {
    const health = makeHealth({ unhealthyThreshold: 3 })
    const id = '10.0.0.1 custom-lb/1'
    let now = periodic(health, id, performance.now() - 2500, 3, 200)
    health.recordProbe('10.0.0.5 curl/8.5.0', 200, now, '10.0.0.5', 'curl/8.5.0')
    await health.enterMaintenance()
    expect(health.drainStatus(/* now */)).toMatchObject({
      drained: false,
      probers: [{ id, kind: 'periodic', intervalMs: 1000, consecutive503: 0, holding: true }],
    })
    const waiting = health.waitForDrain({ maxMs: 300, pollMs: 10 })
    now = periodic(health, id, now, 2, 503)
    expect(await waiting).toMatchObject({ drained: false })
    periodic(health, id, now, 1, 503)
    expect(health.drainStatus()).toMatchObject({
      drained: true,
      probers: [{ id, consecutive503: 3, holding: false }],
    })
  })

  it('takes an identity with irregular gaps for one-off requests', async () => {
    const health = makeHealth()
    const t0 = performance.now() - 10_000
    for (const at of [0, 300, 4000, 4100, 9000]) {
      health.recordProbe('10.0.0.8 curl/8', 200, t0 + at, '10.0.0.8', 'curl/8')
    }
    expect(health.drainStatus()).toMatchObject({ probers: [], unconfirmed: 1 })
  })

  it('marks a balancer from its first request by User-Agent (defaults and custom) and by CIDR', async () => {
    const health = makeHealth({
      probers: {
        userAgents: ['acme-lb/', /^Consul Health Check/],
        addresses: ['192.168.10.0/24', 'fd00::/8'],
      },
    })
    const now = performance.now()
    const first = [
      ['10.0.0.1', 'ELB-HealthChecker/2.0'],
      ['10.0.0.2', 'kube-probe/1.30'],
      ['10.0.0.3', 'GoogleHC/1.0'],
      ['10.0.0.4', 'Envoy/HC'],
      ['10.0.0.5', 'acme-lb/3'],
      ['10.0.0.6', 'Consul Health Check'],
      ['::ffff:192.168.10.7', 'curl/8'],
      ['fd00::1', undefined],
      ['192.168.11.7', 'curl/8'],
    ] as const
    for (const [address, agent] of first) health.recordProbe(`${address} ${agent}`, 200, now, address, agent)
    await health.enterMaintenance()
    const { probers, unconfirmed } = health.drainStatus()
    expect(probers.map((prober) => [prober.id, prober.kind, prober.holding])).toEqual(
      first.slice(0, 8).map(([address, agent]) => [`${address} ${agent}`, 'matched', true]),
    )
    expect(unconfirmed).toBe(1)
  })

  it('turns the default User-Agents off with `defaults: false`, and validates the option', () => {
    const health = makeHealth({ probers: { defaults: false } })
    health.recordProbe('10.0.0.1 kube-probe/1.30', 200, performance.now(), '10.0.0.1', 'kube-probe/1.30')
    expect(health.drainStatus()).toMatchObject({ probers: [], unconfirmed: 1 })
    expect(() => createHealth({ probers: { adresses: [] } as never })).toThrow(
      'createHealth() `probers`: unknown option `adresses`; did you mean `addresses`?',
    )
    expect(() => createHealth({ probers: { addresses: ['10.0.0.0/33'] } })).toThrow(
      'createHealth() `probers`: expected `addresses` to be CIDR blocks such as `10.0.0.0/8`, got the string "10.0.0.0/33"',
    )
    expect(() => createHealth({ probers: { userAgents: [''] } })).toThrow('`userAgents`')
  })

  it('a flood of 10,000 unique identities neither evicts a confirmed balancer nor stalls the wait, and stays bounded', async () => {
    const health = makeHealth({ unhealthyThreshold: 2 })
    const lb = '10.0.0.1 custom-lb/1'
    const matched = '10.0.0.2 ELB-HealthChecker/2.0'
    let now = periodic(health, lb, performance.now() - 3000, 3, 200)
    health.recordProbe(matched, 200, now - 500, '10.0.0.2', 'ELB-HealthChecker/2.0')
    const flood = (count: number, status: number) => {
      for (let i = 0; i < count; i++) {
        const agent = `flood-${status}-${i}`
        health.recordProbe(`203.0.113.9 ${agent}`, status, now, '203.0.113.9', agent)
      }
    }
    flood(10_000, 200)
    await health.enterMaintenance()
    flood(10_000, 503)
    const during = health.drainStatus()
    expect(during.probers.map((prober) => prober.id).sort()).toEqual([lb, matched])
    expect(during.unconfirmed).toBeLessThanOrEqual(256)
    expect(during.drained).toBe(false)
    now = periodic(health, lb, now, 2, 503)
    health.recordProbe(matched, 503, now, '10.0.0.2', 'ELB-HealthChecker/2.0')
    health.recordProbe(matched, 503, now + 1, '10.0.0.2', 'ELB-HealthChecker/2.0')
    const waited = await health.waitForDrain({ maxMs: 2000, pollMs: 10 })
    expect(waited.drained).toBe(true)
    expect(waited.waitedMs).toBeLessThan(500)
  })
})
