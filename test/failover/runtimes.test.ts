// The failover monitor outside Node: the same scenario (runtimes/scenario.ts) in headless Chromium, Deno
// and Bun against real healthgate servers, asserted the same way: what the monitor reported, and what
// the servers saw.
import { type Harness, type LogEntry, SCENARIO_TIMING, startHarness } from './runtimes/harness.js'
import { bundleForBrowser, PAGE_HTML, RUNTIMES, runIn, SCENARIO } from './runtimes/runners.js'
import type { PhaseName, ScenarioReport } from './runtimes/scenario.js'

const { intervalMs, failureThreshold, successThreshold } = SCENARIO_TIMING
// Timers may fire a millisecond early; rounds are `intervalMs` apart.
const EARLY = 50

let harness: Harness | undefined
afterEach(async () => {
  await harness?.close()
  harness = undefined
})

/** The probes the servers answered after the last toggle of `phase`, in the order they were answered. */
function probesAfter(log: LogEntry[], phase: PhaseName) {
  let start = -1
  log.forEach((entry, index) => {
    if (entry.kind === 'toggle' && entry.phase === phase) start = index
  })
  if (start === -1) throw new Error(`no toggle for phase ${phase}`)
  return log.slice(start + 1).filter((entry) => entry.kind === 'probe')
}

/** After the phase's last toggle: the primary's answers until the secondary was first probed, and that probe's. */
function primaryProbesBeforeSecondary(log: LogEntry[], phase: PhaseName) {
  const probes = probesAfter(log, phase)
  const firstSecondary = probes.findIndex((probe) => probe.server === 'secondary')
  const before = probes.slice(0, firstSecondary === -1 ? probes.length : firstSecondary)
  return { primary: before.map((probe) => probe.status), secondary: probes[firstSecondary]?.status }
}

const measured: string[] = []
afterAll(() => {
  // The switch times, for the record (see the failover README).
  if (measured.length > 0) console.log(measured.join('\n'))
})

describe.each(RUNTIMES)('the failover monitor in %s', (runtime) => {
  test('switches after the threshold, only to a healthy endpoint, and fails back', async () => {
    const scenario = { file: SCENARIO }
    harness = await startHarness()
    if (runtime === 'chromium')
      harness.servePage({ html: PAGE_HTML, script: await bundleForBrowser(scenario) })
    const report = JSON.parse(await runIn(runtime, harness, scenario, 'REPORT ')) as ScenarioReport
    const { log } = harness

    expect(report.error).toBeUndefined()
    expect(report.runtime).toMatch(runtime === 'chromium' ? /HeadlessChrome\// : new RegExp(`^${runtime} `))

    // Every transition, in order: nothing while both were healthy, no switch to an unhealthy secondary.
    expect(
      report.events.map(({ phase, type, from, to, failback }) => ({ phase, type, from, to, failback })),
    ).toEqual([
      { phase: 'secondary-down', type: 'all-down', from: 'primary', to: 'primary', failback: false },
      { phase: 'primary-back', type: 'recovered', from: 'primary', to: 'primary', failback: false },
      { phase: 'failover', type: 'switch', from: 'primary', to: 'secondary', failback: false },
      { phase: 'failback', type: 'switch', from: 'secondary', to: 'primary', failback: true },
    ])
    expect(report.activeAfter).toEqual({
      steady: 'primary',
      'secondary-down': 'primary',
      'primary-back': 'primary',
      failover: 'secondary',
      failback: 'primary',
    })
    const [allDown, , failover, failback] = report.events
    if (!allDown || !failover || !failback) throw new Error('missing events')

    // The switch came on the threshold's failure, not before: in the monitor's count, in time, and in
    // the servers' log (the secondary is only probed once the primary has failed `failureThreshold` times).
    expect(failover.fromFailures).toBe(failureThreshold)
    expect(failover.reason).toMatch(
      new RegExp(
        `^primary failed ${failureThreshold} consecutive checks \\(HTTP 503 .*\\); secondary is healthy$`,
      ),
    )
    expect(failover.afterToggleMs).toBeGreaterThanOrEqual((failureThreshold - 1) * intervalMs - EARLY)
    expect(primaryProbesBeforeSecondary(log, 'failover')).toEqual({
      primary: Array(failureThreshold).fill(503),
      secondary: 200,
    })

    // With the secondary unhealthy too, the same threshold led to all-down and no switch.
    expect(allDown.fromFailures).toBe(failureThreshold)
    expect(allDown.afterToggleMs).toBeGreaterThanOrEqual((failureThreshold - 1) * intervalMs - EARLY)
    expect(primaryProbesBeforeSecondary(log, 'secondary-down')).toEqual({
      primary: Array(failureThreshold).fill(503),
      secondary: 503,
    })

    // Failback after `successThreshold` successes of the recovered primary.
    expect(failback.toSuccesses).toBe(successThreshold)
    expect(failback.afterToggleMs).toBeGreaterThanOrEqual((successThreshold - 1) * intervalMs - EARLY)
    expect(probesAfter(log, 'failback').filter((probe) => probe.server === 'primary')[0]?.status).toBe(200)

    // While the primary was healthy and active, only the primary was probed, with HEAD.
    const steady = log.slice(
      0,
      log.findIndex((entry) => entry.kind === 'toggle'),
    )
    expect(
      steady.filter((entry) => entry.kind === 'probe' && entry.server === 'primary').length,
    ).toBeGreaterThanOrEqual(3)
    expect(steady.filter((entry) => entry.kind === 'probe' && entry.server === 'secondary')).toEqual([])
    const probes = log.filter((entry) => entry.kind === 'probe' && entry.server !== 'no-cors')
    expect(new Set(probes.map((probe) => probe.kind === 'probe' && probe.method))).toEqual(new Set(['HEAD']))

    // CORS: the server answered the health route without `Access-Control-Allow-Origin` with 200, and
    // only the browser refused to hand the answer to the page.
    expect(log.filter((entry) => entry.kind === 'probe' && entry.server === 'no-cors')).toEqual([
      expect.objectContaining({ method: 'HEAD', status: 200 }),
    ])
    if (runtime === 'chromium') {
      expect(report.noCors).toMatchObject({ ok: false, error: expect.stringMatching(/Failed to fetch/) })
    } else {
      expect(report.noCors).toMatchObject({ ok: true, status: 200 })
    }

    measured.push(
      `${report.runtime}: failover after ${failover.afterToggleMs} ms, failback after ${failback.afterToggleMs} ms, all-down after ${allDown.afterToggleMs} ms (interval ${intervalMs} ms, thresholds ${failureThreshold}/${successThreshold}); scenario ${report.durationMs} ms`,
    )
  }, 120_000)
})
