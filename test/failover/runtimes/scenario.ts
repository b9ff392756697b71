// The failover scenario every runtime runs: headless Chromium (this file bundled by esbuild for the
// browser), Deno and Bun (this file run as it is). It imports the package the way a user of that runtime
// would and only uses fetch and timers. The servers live in the test's Node process (./harness.ts): the
// scenario reads its settings from the control server and asks it to turn an endpoint healthy or
// unhealthy (healthgate maintenance), then prints what the monitor did. The test asserts on the report
// and on the servers' own log of the probes, the same way for every runtime.
import { createFailover, type FailoverEvent, parseStatusMatcher, probeHealth } from '@healthgate/failover'

/** What the control server's `GET /config` answers. */
export interface ScenarioConfig {
  endpoints: { name: string; healthUrl: string; connectUrl: string }[]
  /** A health route without CORS headers (answers 200): a browser must refuse to read it. */
  noCorsUrl: string
  intervalMs: number
  timeoutMs: number
  failureThreshold: number
  successThreshold: number
  /** Upper bound of every wait for a transition. */
  waitLimitMs: number
}

/** One transition seen by the scenario, with the monitor's counts when it was emitted. */
export interface SeenEvent extends FailoverEvent {
  phase: PhaseName
  /** ms from the phase's toggle (the control server had applied it) to the event. */
  afterToggleMs: number
  /** The endpoint `from`'s consecutive failures and successes when the event was emitted. */
  fromFailures: number
  /** Consecutive successes of `to` when the event was emitted. */
  toSuccesses: number
}

export type PhaseName = 'steady' | 'secondary-down' | 'primary-back' | 'failover' | 'failback'

export interface ScenarioReport {
  runtime: string
  events: SeenEvent[]
  /** The active endpoint at the end of each phase. */
  activeAfter: Partial<Record<PhaseName, string>>
  /** The probe of `noCorsUrl`. */
  noCors: { ok: boolean; status?: number; error?: string }
  /** Set when a wait ran out or a step threw: the scenario stops there. */
  error?: string
  durationMs: number
}

export async function runScenario(controlUrl: string): Promise<ScenarioReport> {
  const started = Date.now()
  const config = (await (await fetch(`${controlUrl}/config`)).json()) as ScenarioConfig
  const report: ScenarioReport = {
    runtime: runtimeName(),
    events: [],
    activeAfter: {},
    noCors: { ok: false },
    durationMs: 0,
  }
  const monitor = createFailover({
    endpoints: config.endpoints,
    intervalMs: config.intervalMs,
    timeoutMs: config.timeoutMs,
    failureThreshold: config.failureThreshold,
    successThreshold: config.successThreshold,
    jitter: 0,
  })
  let phase: PhaseName = 'steady'
  let toggledAt = Date.now()
  const count = (name: string) => monitor.snapshot().endpoints.find((endpoint) => endpoint.name === name)
  monitor.onChange((event) => {
    report.events.push({
      ...event,
      phase,
      afterToggleMs: Date.now() - toggledAt,
      fromFailures: count(event.from)?.consecutiveFailures ?? -1,
      toSuccesses: count(event.to)?.consecutiveSuccesses ?? -1,
    })
  })
  const [primary, secondary] = config.endpoints.map((endpoint) => endpoint.name) as [string, string]

  const toggle = async (next: PhaseName, changes: [string, boolean][]) => {
    report.activeAfter[phase] = monitor.active.name
    for (const [name, healthy] of changes) {
      const answer = await fetch(`${controlUrl}/set?phase=${next}&name=${name}&healthy=${healthy}`, {
        method: 'POST',
      })
      if (answer.status !== 204) throw new Error(`control server answered ${answer.status}`)
    }
    phase = next
    toggledAt = Date.now()
  }
  const waitForEvent = async (what: string, matches: (event: SeenEvent) => boolean) => {
    const deadline = Date.now() + config.waitLimitMs
    while (!report.events.some((event) => event.phase === phase && matches(event))) {
      if (Date.now() > deadline) throw new Error(`${phase}: no ${what} within ${config.waitLimitMs} ms`)
      await sleep(10)
    }
  }

  try {
    report.noCors = await probeHealth(config.noCorsUrl, {
      method: 'HEAD',
      timeoutMs: config.timeoutMs,
      accepts: parseStatusMatcher('200'),
      fetch,
    })
    await monitor.start()
    // Both healthy: three rounds without a transition.
    await sleep(config.intervalMs * 3)
    // No healthy endpoint to go to: the monitor must stay on the primary.
    await toggle('secondary-down', [
      [secondary, false],
      [primary, false],
    ])
    await waitForEvent('all-down', (event) => event.type === 'all-down')
    // Two more rounds: still no switch.
    await sleep(config.intervalMs * 2)
    await toggle('primary-back', [[primary, true]])
    await waitForEvent('recovery', (event) => event.type === 'recovered')
    // A healthy secondary: the switch after the threshold.
    await toggle('failover', [
      [secondary, true],
      [primary, false],
    ])
    await waitForEvent('switch', (event) => event.type === 'switch')
    await toggle('failback', [[primary, true]])
    await waitForEvent('failback', (event) => event.type === 'switch')
    report.activeAfter[phase] = monitor.active.name
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error)
  } finally {
    await monitor.stop()
  }
  report.durationMs = Date.now() - started
  return report
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface RuntimeGlobals {
  Deno?: { version: { deno: string }; args: string[] }
  Bun?: { version: string; argv: string[] }
  navigator?: { userAgent: string }
  location?: { origin: string }
}
const runtime = globalThis as typeof globalThis & RuntimeGlobals

function runtimeName(): string {
  if (runtime.Deno) return `deno ${runtime.Deno.version.deno}`
  if (runtime.Bun) return `bun ${runtime.Bun.version}`
  return runtime.navigator?.userAgent ?? 'unknown'
}

// Entry: Deno and Bun run this file with the control URL as argument; in a page (the bundle), the control
// server is the page's origin. The report is printed as one line, which the test reads.
const controlUrl = (runtime.Deno?.args ?? runtime.Bun?.argv.slice(2))?.[0] ?? runtime.location?.origin
if (!controlUrl) throw new Error('usage: scenario.ts <control URL>')
console.log(`REPORT ${JSON.stringify(await runScenario(controlUrl))}`)
