// The CLI against a fleet on the real Redis: `status --fleet`, and `maintenance on` refused by the budget,
// waiting for it (--wait-for-budget) or skipping it (--force).
import { run, start } from '../cli/run.js'
import { cleanupRegistry } from '../support/cleanup.js'
import { fleetTools } from '../support/fleet.js'
import { ADMIN_TOKEN } from '../support/http.js'
import { waitFor } from '../support/wait.js'

const later = cleanupRegistry()
const { setup, instance } = fleetTools(later)
const env = { HEALTHGATE_ADMIN_TOKEN: ADMIN_TOKEN }

async function twoInstances() {
  const where = await setup()
  const a = await instance(where, 'a', { minAvailable: 1, panicThreshold: 0.5 })
  const b = await instance(where, 'b', { minAvailable: 1, panicThreshold: 0.5 })
  await waitFor(async () => (await a.view()).ready === 2, 2000, 20)
  return { a, b, mount: (member: typeof a) => `${member.server.url}/health` }
}

describe('healthgate CLI and a fleet', () => {
  test('status --fleet prints every instance; --json the view', async () => {
    const { a, mount } = await twoInstances()
    const table = await run(['status', '--fleet', mount(a)], { env })
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(
      /^fleet svc: 2 of 2 instances ready \(minAvailable 1, panic threshold 50 %\)/,
    )
    expect(table.stdout).toMatch(
      /INSTANCE\s+STATUS\s+READY\s+MAINTENANCE\s+DRAINING\s+VERSION\s+ADDRESS\s+LAST SEEN/,
    )
    expect(table.stdout).toMatch(/\na \*\s+pass\s+yes\s+no\s+no\s+1\.2\.3\s+127\.0\.0\.1:a\s+20\d\d-/)
    expect(table.stdout).toMatch(/\nb\s+pass\s+yes\s+no\s+no\s+1\.2\.3/)
    const json = await run(['status', '--fleet', '--json', mount(a)], { env })
    expect(JSON.parse(json.stdout)).toMatchObject({ fleet: 'known', ready: 2, total: 2 })
    const noToken = await run(['status', '--fleet', mount(a)], { env: {} })
    expect(noToken.code).toBe(2)
    expect(noToken.stderr).toMatch(/HEALTHGATE_ADMIN_TOKEN/)
  })

  test('maintenance on: refused with the budget named, --wait-for-budget waits with progress, --force skips it', async () => {
    const { a, b, mount } = await twoInstances()
    expect((await run(['maintenance', 'on', mount(a), '--reason', 'deploy a'], { env })).code).toBe(0)

    const refused = await run(['maintenance', 'on', mount(b)], { env })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/disruption budget \(minAvailable: 1\): 1 of 2 instances are ready/)
    expect(b.health.maintenance.enabled).toBe(false)

    const waiting = start(
      ['maintenance', 'on', mount(b), '--wait-for-budget', '--interval', '100ms', '--timeout', '20s'],
      {
        env,
      },
    )
    await waitFor(() => /waiting for the disruption budget/.test(waiting.output.stderr), 5000, 20)
    expect(b.health.maintenance.enabled).toBe(false)
    expect((await run(['maintenance', 'off', mount(a)], { env })).code).toBe(0)
    expect(await waiting.done).toBe(0)
    expect(waiting.output.stdout).toMatch(/maintenance on: on/)
    expect(b.health.maintenance.enabled).toBe(true)

    const forced = await run(['maintenance', 'on', mount(a), '--force'], { env })
    expect(forced.code).toBe(0)
    expect(forced.stderr).toMatch(/--force skipped/)
    expect(a.health.maintenance.enabled).toBe(true)

    const both = await run(['maintenance', 'on', mount(a), '--force', '--wait-for-budget'], { env })
    expect(both.code).toBe(2)
    const offForce = await run(['maintenance', 'off', mount(a), '--force'], { env })
    expect(offForce.code).toBe(2)
    expect(offForce.stderr).toMatch(/--force only applies to maintenance on/)
  })
})
