// The fleet hook with a fake fleet: the panic turns a failing readiness (and only that) into 200 `warn`,
// the budget's refusal is a 409 naming it, force reaches the fleet, leaving is never asked about.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileMaintenance } from '../file-maintenance.js'
import { createHandler } from '../handler.js'
import { createHealth } from '../health.js'
import type { FleetHost, HealthFleet } from './fleet.js'
import { MaintenanceRefusedError } from './fleet.js'

async function until(condition: () => boolean, timeoutMs = 4000): Promise<void> {
  const started = performance.now()
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

function fakeFleet() {
  const fake = {
    host: undefined as FleetHost | undefined,
    panicOutput: undefined as string | undefined,
    refuse: false,
    admitted: [] as boolean[],
    released: 0,
    synced: 0,
  }
  const fleet: HealthFleet = {
    attach: (host) => {
      fake.host = host
    },
    admitMaintenance: async ({ force }) => {
      fake.admitted.push(force)
      if (fake.refuse && !force)
        throw new MaintenanceRefusedError('refused by the disruption budget (minAvailable: 2)')
      return () => {
        fake.released++
      }
    },
    panic: () => fake.panicOutput,
    view: async () => ({ fleet: 'known', instances: [] }),
    sync: async () => {
      fake.synced++
    },
    close: () => {},
  }
  return { fake, fleet }
}

const TOKEN = 'a-long-enough-admin-token'

async function setup() {
  const { fake, fleet } = fakeFleet()
  let dbUp = true
  const health = createHealth({
    fleet,
    defaultCacheTtlMs: 1,
    checks: [
      {
        name: 'db',
        check: () => {
          if (!dbUp) throw new Error('down')
        },
      },
    ],
  })
  const handler = createHandler(health, { adminToken: TOKEN })
  const send = async (method: string, url: string, body?: string) => {
    const headers = { authorization: `Bearer ${TOKEN}` }
    const reply = await handler.handle({ method, url, headers, body, remoteAddress: '127.0.0.1' })
    if (!reply) throw new Error(`${url} is not a health route`)
    return reply
  }
  const setDb = (up: boolean) => {
    dbUp = up
  }
  return { fake, health, send, setDb }
}

describe('the fleet hook', () => {
  test('panic holds a failing readiness at 200 warn, not maintenance; its change is emitted once', async () => {
    const { fake, health, send, setDb } = await setup()
    const events: unknown[] = []
    health.onPanicChange((event) => events.push(event))
    // Not counted as ready by the fleet before its checks have a first result.
    expect(fake.host?.readiness()).toMatchObject({ status: 'fail', state: 'starting', maintenance: false })
    expect((await send('GET', '/health')).status).toBe(200)
    expect(fake.host?.readiness()).toMatchObject({ status: 'pass', maintenance: false, draining: false })
    await new Promise((resolve) => setTimeout(resolve, 5))
    setDb(false)
    expect((await send('GET', '/health')).status).toBe(503)
    fake.panicOutput = 'fleet panic: 0 of 3 instances ready'
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
    fake.host?.panicChanged()
    fake.host?.panicChanged()
    const report = await health.evaluate()
    expect(report).toMatchObject({
      status: 'warn',
      httpStatus: 200,
      output: 'fleet panic: 0 of 3 instances ready',
    })
    // The fleet counts this instance as failing: the panic is not self-sustaining.
    expect(fake.host?.readiness().status).toBe('fail')
    expect(events).toEqual([{ panic: true, output: 'fleet panic: 0 of 3 instances ready' }])
    expect(warn).toHaveBeenCalledTimes(1)
    // Liveness and single checks are untouched.
    expect((await health.evaluateCheck('db')).status).toBe('fail')
    await health.enterMaintenance('deploy')
    expect((await send('GET', '/health')).status).toBe(503)
    await health.leaveMaintenance()
    expect(fake.synced).toBe(1)
    // A passing readiness stays pass whatever the fleet says.
    setDb(true)
    // Past the 1 ms cache of the failing result, however slow the machine.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect((await health.evaluateCheck('db')).status).toBe('pass')
    expect(await health.evaluate()).toMatchObject({ status: 'pass', httpStatus: 200 })
    fake.panicOutput = undefined
    fake.host?.panicChanged()
    expect(events).toHaveLength(2)
    warn.mockRestore()
    await health.close()
  })

  test('the budget refusal answers 409 naming it; force reaches the fleet; GET /fleet serves the view', async () => {
    const { fake, health, send } = await setup()
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
    fake.refuse = true
    const refused = await send('PUT', '/health/maintenance', '{"reason":"deploy"}')
    expect(refused.status).toBe(409)
    expect(JSON.parse(String(refused.body))).toEqual({
      status: 409,
      error: 'refused by the disruption budget (minAvailable: 2)',
    })
    expect(health.maintenance.enabled).toBe(false)
    expect((await send('PUT', '/health/maintenance', '{"force":"yes"}')).status).toBe(400)
    expect((await send('PUT', '/health/maintenance', '{"force":true}')).status).toBe(200)
    expect(fake.admitted).toEqual([false, true])
    expect(fake.released).toBe(1)
    // Already in maintenance: not asked again; leaving is never asked.
    await health.enterMaintenance('again')
    expect((await send('DELETE', '/health/maintenance')).status).toBe(200)
    expect(fake.admitted).toEqual([false, true])
    const view = await send('GET', '/health/fleet')
    expect(view.status).toBe(200)
    expect(JSON.parse(String(view.body))).toEqual({ fleet: 'known', instances: [] })
    await expect(health.enterMaintenance('x', { forse: true } as never)).rejects.toThrow(/forse/)
    warn.mockRestore()
    await health.close()
  })

  test('without a fleet, GET /fleet is 404 and createHealth refuses a fleet that is not one', async () => {
    const health = createHealth()
    const handler = createHandler(health, { adminToken: TOKEN })
    const reply = await handler.handle({
      method: 'GET',
      url: '/health/fleet',
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(reply?.status).toBe(404)
    expect(() => createHealth({ fleet: {} as never })).toThrow(/`fleet`/)
    await health.close()
  })

  test('a flag file counts once the budget admits it: refused, the instance serves on and says why', async () => {
    const { fake, fleet } = fakeFleet()
    const dir = mkdtempSync(join(tmpdir(), 'healthgate-fleet-'))
    const file = join(dir, 'maintenance')
    const store = fileMaintenance({ path: file, pollMs: 20 })
    fake.refuse = true
    const health = createHealth({ fleet, maintenance: store })
    const handler = createHandler(health, { details: 'always' })
    try {
      writeFileSync(file, 'deploy 7')
      await store.refresh()
      await until(() => /not entered/.test(health.maintenance.note ?? ''))
      expect(fake.admitted[0]).toBe(false) // never forced
      expect(health.maintenance).toMatchObject({ enabled: false, source: 'file' })
      expect(health.maintenance.note).toMatch(
        /^maintenance requested but not entered: refused by the disruption budget \(minAvailable: 2\)/,
      )
      const serving = await handler.respond({ method: 'GET', url: '/health/ready', headers: {} })
      expect(serving?.status).toBe(200)
      expect(JSON.parse(serving?.body ?? '{}').notes).toEqual([health.maintenance.note])
      // The budget allows it: taken at the next ask (within a second), the reservation released.
      fake.refuse = false
      await until(() => health.maintenance.enabled)
      expect(health.maintenance).toMatchObject({ enabled: true, source: 'file', reason: 'deploy 7' })
      expect(fake.released).toBe(1)
      expect((await handler.respond({ method: 'GET', url: '/health/ready', headers: {} }))?.status).toBe(503)
      // Leaving is never asked about; the next flag asks again.
      rmSync(file)
      await store.refresh()
      await until(() => !health.maintenance.enabled)
      const asked = fake.admitted.length
      fake.refuse = true
      writeFileSync(file, 'deploy 8')
      await store.refresh()
      await until(() => fake.admitted.length > asked)
      expect(health.maintenance.enabled).toBe(false)
    } finally {
      await health.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
