import type { CheckResult, HealthReport, MaintenanceState, Probe, Status } from '../types.js'
import { aggregateStatus, toReport } from './aggregate.js'
import type { MaintenanceSwitch } from './maintenance-switch.js'
import { collect, type Registry } from './registry.js'
import { ReportCache, reportKey } from './report-cache.js'

/**
 * Turns the checks of a registry into reports: from the report cache while it is current, by joining a
 * report being built, or by running what is stale. Startup completes here in `'auto'` mode.
 */
export class Evaluator {
  readonly #registry: Registry
  readonly #maintenance: MaintenanceSwitch
  readonly #autoStart: boolean
  readonly #cache = new ReportCache()
  readonly #panic: () => string | undefined

  constructor(
    registry: Registry,
    maintenance: MaintenanceSwitch,
    startup: 'auto' | 'manual',
    panic: () => string | undefined = () => undefined,
  ) {
    this.#registry = registry
    this.#maintenance = maintenance
    this.#autoStart = startup === 'auto'
    this.#panic = panic
  }

  /** The hot path: a current cached report, or `undefined`. Allocates nothing. */
  cached(probe: Probe, exclude: readonly string[], now: number): HealthReport | undefined {
    const registry = this.#registry
    if (probe === 'startup' || (probe === 'ready' && !registry.started)) return undefined
    return this.#cache.current(reportKey(probe, exclude), registry.generation, this.#maintenance.read(), now)
  }

  /** `exclude` must hold known names. */
  async evaluate(probe: Probe, exclude: readonly string[]): Promise<HealthReport> {
    if (probe === 'startup') return this.#startup(exclude)
    if (probe === 'ready' && !this.#registry.started) await this.#startup([])
    const maintenance = this.#maintenance.read()
    const key = reportKey(probe, exclude)
    const now = performance.now()
    const generation = this.#registry.generation
    // While a check runs, every request for the same probe waits for the same report instead of building
    // (and the handler rendering) one of its own: at a few thousand requests per second, hundreds per refresh.
    const ready =
      this.#cache.current(key, generation, maintenance, now) ??
      this.#cache.inflight(key, generation, maintenance)
    if (ready) return ready
    const building = this.#build(probe, exclude, key, maintenance, now)
    return this.#cache.join(key, generation, maintenance, building)
  }

  /** One check, regardless of probes and maintenance; `undefined` for an unknown name. */
  async check(name: string): Promise<HealthReport | undefined> {
    const runner = this.#registry.get(name)
    if (!runner) return undefined
    const result = await runner.current(performance.now())
    return toReport('check', [result], this.#registry, this.#maintenance.read())
  }

  /** Readiness from the latest results, without running anything (for status-change events). */
  readyStatus(): Status {
    // Not known to pass before every readiness check has a first result: 'fail', as while starting, so that
    // no listener (logs, metrics, the fleet) sees a pass that the first results then take back.
    if (this.#registry.pending('ready')) return 'fail'
    return this.#latestReady(this.#panic()).status
  }

  /** Readiness from the latest results, with the panic given (none: what a fleet counts). */
  #latestReady(panic: string | undefined): HealthReport {
    return toReport('ready', this.#registry.latest('ready'), this.#registry, this.#maintenance.read(), panic)
  }

  /** This instance's readiness as a fleet counts it: from the latest results, without the panic. */
  unpanicked(): HealthReport {
    return this.#latestReady(undefined)
  }

  /** A probe's or one check's status from the latest results, without running anything. */
  latestStatus(probe: Probe | 'check', name?: string): Status | undefined {
    if (probe === 'check') {
      const runner = name === undefined ? undefined : this.#registry.get(name)
      if (!runner) return undefined
      return runner.latest?.status ?? 'fail'
    }
    const results = probe === 'startup' ? [] : this.#registry.latest(probe)
    return toReport(probe, results, this.#registry, this.#maintenance.read(), this.#panic()).status
  }

  clear(): void {
    this.#cache.clear()
  }

  async #build(
    probe: Probe,
    exclude: readonly string[],
    key: string,
    maintenance: MaintenanceState,
    now: number,
  ): Promise<HealthReport> {
    const generation = this.#registry.generation
    const runners = this.#registry.select(probe, exclude)
    const results = await collect(runners, now)
    const report = toReport(probe, results, this.#registry, maintenance, this.#panic())
    // Only a report whose lifecycle did not change while it was built is cached.
    if (generation === this.#registry.generation) this.#cache.store(key, report, generation, runners)
    return report
  }

  async #startup(exclude: readonly string[]): Promise<HealthReport> {
    const results: CheckResult[] = this.#registry.started
      ? []
      : await collect(this.#registry.select('startup', exclude), performance.now())
    if (this.#autoStart && exclude.length === 0 && aggregateStatus(results) !== 'fail') {
      this.#registry.markStarted()
    }
    return toReport('startup', results, this.#registry, this.#maintenance.read())
  }
}
