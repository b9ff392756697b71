// Fleet awareness through the real Redis: membership and expiry, the fleet view, the disruption budget
// (atomic across instances), Redis down, and the panic threshold.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileMaintenance, type PanicChangeEvent } from '@healthgate/core'
import type { FleetView } from '@healthgate/redis'
import { startChild } from '../reliability/support/child.js'
import { cleanupRegistry } from '../support/cleanup.js'
import { createFaultProxy } from '../support/fault-proxy.js'
import { fleetTools, type Instance } from '../support/fleet.js'
import { ADMIN_TOKEN } from '../support/http.js'
import { endpointOf, REDIS_URL } from '../support/services.js'
import { waitFor } from '../support/wait.js'

const later = cleanupRegistry()
const { setup, instance } = fleetTools(later)

const ids = (view: FleetView) => view.instances.map((member) => member.id)
const allReady = (view: FleetView, count: number) => view.total === count && view.ready === count

describe('redisFleet', () => {
  test('an instance appears within 2 s, the view lists every field, a kill -9 leaves within the expiry', async () => {
    const where = await setup()
    const a = await instance(where, 'a')
    const child = await startChild('fleet-member.ts')
    later(child, (c) => c.stop())
    const joined = performance.now()
    await child.call({
      type: 'join',
      url: REDIS_URL,
      key: where.key,
      service: where.service,
      instanceId: 'child',
    })
    const appearedMs = await waitFor(async () => ids(await a.view()).includes('child'), 2000, 20)
    expect(appearedMs).toBeLessThan(2000)
    expect(performance.now() - joined).toBeLessThan(2000)

    await waitFor(async () => allReady(await a.view(), 2), 2000, 20)
    const view = await a.view()
    expect(view).toMatchObject({
      service: 'svc',
      instanceId: 'a',
      fleet: 'known',
      ready: 2,
      total: 2,
      panic: false,
    })
    expect(view.instances).toEqual([
      {
        id: 'a',
        status: 'pass',
        ready: true,
        state: 'ready',
        maintenance: false,
        draining: false,
        panic: false,
        version: '1.2.3',
        address: '127.0.0.1:a',
        lastSeen: expect.any(String),
      },
      {
        id: 'child',
        status: 'pass',
        ready: true,
        state: 'ready',
        maintenance: false,
        draining: false,
        panic: false,
        version: '9.9.9',
        lastSeen: expect.any(String),
      },
    ])
    expect(Date.now() - Date.parse(view.instances[0]?.lastSeen ?? '')).toBeLessThan(2000)

    // Maintenance and draining show in the view.
    expect((await a.put('{"reason":"deploy"}')).status).toBe(200)
    await waitFor(async () => (await a.view()).instances[0]?.maintenance === true, 2000, 20)

    process.kill(child.pid, 'SIGKILL')
    const killed = performance.now()
    await waitFor(async () => !ids(await a.view()).includes('child'), 1500 + 1000, 20)
    // Gone within its expiry (1.5 s) plus the time the view takes to be asked again.
    expect(performance.now() - killed).toBeLessThan(1500 + 500)
  })

  test('a closed instance leaves at once; the view needs the admin token', async () => {
    const where = await setup()
    const a = await instance(where, 'a')
    const b = await instance(where, 'b')
    await waitFor(async () => allReady(await a.view(), 2), 2000, 20)
    expect((await a.server.get('/health/fleet')).status).toBe(401)
    await b.health.close()
    expect(ids(await a.view())).toEqual(['a'])
  })

  test('budget: 3 instances with minAvailable 2 admit one, refuse a second with 409, admit it after the first left', async () => {
    const where = await setup()
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => instance(where, id, { minAvailable: 2 })))
    await waitFor(async () => allReady(await a!.view(), 3), 2000, 20)
    expect((await a!.put('{"reason":"deploy a"}')).status).toBe(200)
    const refused = await b!.put('{"reason":"deploy b"}')
    expect(refused.status).toBe(409)
    expect(JSON.parse(refused.body).error).toMatch(
      /disruption budget \(minAvailable: 2\).*2 of 3 instances are ready/,
    )
    expect(b!.health.maintenance.enabled).toBe(false)
    expect((await b!.server.get('/health/ready')).status).toBe(200)
    // The same refusal through the code path, and force gets through it.
    await expect(c!.health.enterMaintenance('c')).rejects.toMatchObject({ name: 'MaintenanceRefusedError' })
    // Leaving is never refused, and counts at once.
    expect((await a!.del()).status).toBe(200)
    expect((await b!.put('{"reason":"deploy b"}')).status).toBe(200)
    expect((await b!.del()).status).toBe(200)
    expect((await c!.put('{"force":true}')).status).toBe(200)
    expect(c!.health.maintenance.enabled).toBe(true)
  })

  test('budget: a flag file counts once the budget admits it; refused, the instance stays in the balancer', async () => {
    const where = await setup()
    const dir = later(mkdtempSync(join(tmpdir(), 'healthgate-fleet-')), (d) => rmSync(d, { recursive: true }))
    const file = join(dir, 'maintenance')
    const store = fileMaintenance({ path: file, pollMs: 50 })
    const a = await instance(where, 'a', { minAvailable: 1 })
    const b = await instance(where, 'b', { minAvailable: 1 }, REDIS_URL, store)
    await waitFor(async () => allReady(await a.view(), 2), 2000, 20)
    expect((await a.put('{"reason":"deploy a"}')).status).toBe(200)
    // The deploy script touches b's flag file while a is out: 1 ready of 2 leaves no room.
    writeFileSync(file, 'deploy b')
    // Held while the budget is asked ("waiting for the disruption budget"), then refused.
    await waitFor(() => /not entered/.test(b.health.maintenance.note ?? ''), 3000, 20)
    expect(b.health.maintenance).toMatchObject({ enabled: false, source: 'file' })
    expect(b.health.maintenance.note).toMatch(/not entered: .*disruption budget \(minAvailable: 1\)/)
    expect((await b.server.get('/health/ready')).status).toBe(200)
    // a comes back: b's flag is admitted at the next ask, and b drains.
    expect((await a.del()).status).toBe(200)
    await waitFor(() => b.health.maintenance.enabled, 3000, 20)
    expect((await b.server.get('/health/ready')).status).toBe(503)
    // Now a is refused: b's file counts in the fleet like any maintenance.
    await waitFor(async () => (await a.view()).instances.some((m) => m.id === 'b' && m.maintenance), 3000, 20)
    expect((await a.put('{"reason":"deploy a again"}')).status).toBe(409)
    rmSync(file)
    await waitFor(() => !b.health.maintenance.enabled, 3000, 20)
  })

  test('budget: five concurrent requests on five instances with minAvailable 4 admit exactly one, 20 times', async () => {
    const where = await setup()
    const five = await Promise.all(
      ['1', '2', '3', '4', '5'].map((id) => instance(where, id, { minAvailable: 4 })),
    )
    await waitFor(async () => allReady(await five[0]!.view(), 5), 3000, 20)
    const admittedBy: string[] = []
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all(five.map((member) => member.put(`{"reason":"round ${round}"}`)))
      const statuses = answers.map((answer) => answer.status)
      expect(statuses.filter((status) => status === 200)).toHaveLength(1)
      expect(statuses.filter((status) => status === 409)).toHaveLength(4)
      const admitted = five[statuses.indexOf(200)] as Instance
      admittedBy.push(admitted.id)
      expect((await admitted.del()).status).toBe(200)
    }
    expect(admittedBy).toHaveLength(20)
  })

  test('a percentage budget: 80 % of 5 is 4', async () => {
    const where = await setup()
    const five = await Promise.all(
      ['1', '2', '3', '4', '5'].map((id) => instance(where, id, { minAvailable: '80%' })),
    )
    await waitFor(async () => allReady(await five[0]!.view(), 5), 3000, 20)
    expect((await five[0]!.put()).status).toBe(200)
    expect((await five[1]!.put()).status).toBe(409)
  })

  test('Redis down: /health answers from local state at once, the budget refuses without force, the view says unknown', async () => {
    const where = await setup()
    const proxy = later(await createFaultProxy({ target: endpointOf(REDIS_URL, 6379) }), (p) => p.close())
    const url = `redis://${proxy.host}:${proxy.port}`
    const a = await instance(where, 'a', { minAvailable: 1 }, url)
    const b = await instance(where, 'b', { minAvailable: 1 })
    await waitFor(async () => allReady(await b.view(), 2), 2000, 20)
    const before = await a.server.get('/health')
    expect(before.status).toBe(200)

    proxy.setMode('blackhole')
    // Redis commands now hang: every answer must still come from local state, without waiting for them.
    const times: number[] = []
    for (let i = 0; i < 20; i++) {
      const reply = await a.server.get('/health')
      expect(reply.status).toBe(200)
      times.push(reply.ms)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // A hung fleet command would hold an answer for its 1,000 ms deadline; a busy machine stays well under.
    expect(Math.max(...times)).toBeLessThan(500)
    const view = await a.view()
    expect(view).toMatchObject({ fleet: 'unknown', instances: [] })
    expect(view.note).toMatch(/unreachable/)
    const refused = await a.put()
    expect(refused.status).toBe(409)
    expect(JSON.parse(refused.body).error).toMatch(/disruption budget.*fleet is unknown.*force/)
    expect((await a.put('{"force":true}')).status).toBe(200)
    expect((await a.server.get('/health')).status).toBe(503)
    expect((await a.del()).status).toBe(200)
    expect((await a.server.get('/health')).status).toBe(200)

    proxy.setMode('pass')
    await waitFor(async () => (await a.view()).fleet === 'known', 5000, 50)
  })

  test('panic: a shared outage answers 200 warn naming the panic, maintenance still 503, a lone failure 503', async () => {
    const where = await setup()
    const three = await Promise.all(['a', 'b', 'c'].map((id) => instance(where, id, { panicThreshold: 0.5 })))
    const [a, b, c] = three as [Instance, Instance, Instance]
    const events: PanicChangeEvent[] = []
    a.health.onPanicChange((event) => events.push(event))
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
    later(warn, (spy) => spy.mockRestore())
    await waitFor(async () => allReady(await a.view(), 3), 2000, 20)

    // One instance failing alone: the rest is healthy, it answers 503 as without a fleet.
    a.state.dbUp = false
    await waitFor(async () => (await a.view()).ready === 2, 3000, 20)
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect((await a.server.get('/health')).status).toBe(503)
    // An instance taken out on purpose is not part of the outage: 1 ready of 2 serving is not below 0.5.
    expect((await b.put()).status).toBe(200)
    await waitFor(
      async () => (await a.view()).instances.some((member) => member.id === 'b' && member.maintenance),
      3000,
      20,
    )
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect((await a.server.get('/health')).status).toBe(503)
    expect((await b.del()).status).toBe(200)

    // The shared dependency fails everywhere: the ready share drops to 0, below 0.5.
    b.state.dbUp = false
    c.state.dbUp = false
    // Each one held at 200 by the panic: 200 with status warn (a 200 pass would be a result cached from
    // before its dependency failed, not the panic).
    for (const member of three) {
      await waitFor(
        async () => {
          const held = await member.server.get('/health', ADMIN_TOKEN)
          return held.status === 200 && JSON.parse(held.body).status === 'warn'
        },
        3000,
        20,
      )
    }
    const reply = await a.server.get('/health', ADMIN_TOKEN)
    const body = JSON.parse(reply.body)
    expect(body.status).toBe('warn')
    expect(body.output).toMatch(
      /fleet panic: [01] of 3 instances ready \((0|33) %\), below the panic threshold of 50 %/,
    )
    expect(body.checks['db:responseTime'][0].status).toBe('fail')
    expect((await a.view()).panic).toBe(true)

    // Maintenance stays deliberate: 503 during the panic.
    expect((await b.put()).status).toBe(200)
    expect((await b.server.get('/health')).status).toBe(503)
    expect((await b.del()).status).toBe(200)

    // The dependency returns: plain readiness again.
    for (const member of three) member.state.dbUp = true
    for (const member of three) {
      await waitFor(
        async () => JSON.parse((await member.server.get('/health', ADMIN_TOKEN)).body).status === 'pass',
        3000,
        20,
      )
    }
    expect(events.map((event) => event.panic)).toEqual([true, false])
    expect(events[0]?.output).toMatch(/fleet panic/)
    // Logged once per change (no logger given: console.warn).
    const logged = () => warn.mock.calls.map((call) => String(call[0])).filter((line) => /panic/.test(line))
    const count = (pattern: RegExp) => logged().filter((line) => pattern.test(line)).length
    // a, b and c entered the panic (b may also have left it for its maintenance and come back); each one
    // says the panic is over once its next fleet update sees its checks pass, which may come just after
    // its first passing answer.
    const held = count(/readiness held at 200/)
    expect(held).toBeGreaterThanOrEqual(3)
    await waitFor(() => count(/panic over/) === held, 3000, 20)
    expect(count(/readiness held at 200/)).toBe(held)
  })
})
