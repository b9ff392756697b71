import { createHealth } from '../health.js'

describe('health events for watchers', () => {
  test('onLifecycleChange reports maintenance on and off, startup and draining', async () => {
    const health = createHealth({ startup: 'manual' })
    const seen: string[] = []
    const off = health.onLifecycleChange(({ state, maintenance }) =>
      seen.push(`${state}:${maintenance.enabled}`),
    )
    health.markStarted()
    await health.enterMaintenance('deploy')
    await health.leaveMaintenance()
    off()
    await health.enterMaintenance()
    // One event per change of the registry's generation: a maintenance store may report one flip twice.
    expect(seen.filter((event, i) => event !== seen[i - 1])).toEqual([
      'ready:false',
      'draining:true',
      'ready:false',
    ])
    await health.close()
  })

  test('a readiness listener added after a gap sees the next change, not a stale one', async () => {
    const health = createHealth()
    const first: string[] = []
    const off = health.onStatusChange(({ current }) => first.push(current))
    await health.enterMaintenance()
    off()
    // Nobody listens while maintenance ends: the last known status must not stay `fail`.
    await health.leaveMaintenance()
    const second: string[] = []
    health.onStatusChange(({ current }) => second.push(current))
    await health.enterMaintenance()
    expect(first).toEqual(['fail'])
    expect(second).toEqual(['fail'])
    await health.close()
  })

  test('latestStatus answers from the latest results without running a check', async () => {
    let runs = 0
    const health = createHealth({
      checks: [{ name: 'db', check: async () => void runs++ }],
    })
    expect(health.latestStatus('check', 'db')).toBe('fail') // never ran: down, as unknown counts
    expect(health.latestStatus('check', 'nope')).toBeUndefined()
    expect(runs).toBe(0)
    await health.evaluate()
    expect(health.latestStatus('check', 'db')).toBe('pass')
    expect(health.latestStatus('ready')).toBe('pass')
    await health.enterMaintenance()
    expect(health.latestStatus('ready')).toBe('fail')
    expect(health.latestStatus('live')).toBe('pass')
    expect(runs).toBe(1)
    await health.close()
  })
})
