import { sameMaintenance } from '../maintenance.js'
import type { CheckRunner } from '../runner.js'
import type { HealthReport, MaintenanceState, Probe } from '../types.js'

/** A built report, the generation it was built in, and the checks it was built from, in report order. */
interface CachedReport {
  report: HealthReport
  generation: number
  runners: readonly CheckRunner[]
}

/** A report being built, which requests for the same probe join. */
interface InflightReport {
  report: Promise<HealthReport>
  generation: number
  maintenance: MaintenanceState
}

/** Bounded: `exclude` combinations come from request URLs. */
const MAX_REPORTS = 64

/** The key of a probe and its exclusions. Constants for the common case: this runs on every probe request. */
export function reportKey(probe: Probe, exclude: readonly string[]): string {
  if (exclude.length > 0) return `${probe}|${exclude.join(',')}`
  return probe === 'ready' ? 'ready|' : probe === 'live' ? 'live|' : 'startup|'
}

/**
 * Built reports, reused while every check behind them is fresh and neither the generation nor the rendered
 * maintenance state changed; and reports being built, which concurrent requests join instead of building
 * (and rendering) one each.
 */
export class ReportCache {
  readonly #reports = new Map<string, CachedReport>()
  readonly #building = new Map<string, InflightReport>()

  /** The cached report of `key` if it is still current. No allocation: this is the hot path. */
  current(
    key: string,
    generation: number,
    maintenance: MaintenanceState,
    now: number,
  ): HealthReport | undefined {
    const cached = this.#reports.get(key)
    if (cached === undefined || cached.generation !== generation) return undefined
    const { report, runners } = cached
    if (!sameMaintenance(report.maintenance, maintenance)) return undefined
    // The generation is unchanged, so are the checks; a check that ran since makes the report stale.
    for (let i = 0; i < runners.length; i++) {
      const runner = runners[i] as CheckRunner
      if (!runner.isFresh(now) || runner.peek() !== report.checks[i]) return undefined
    }
    return report
  }

  /** The report being built for `key` under the same generation and maintenance state, if any. */
  inflight(
    key: string,
    generation: number,
    maintenance: MaintenanceState,
  ): Promise<HealthReport> | undefined {
    const entry = this.#building.get(key)
    if (entry && entry.generation === generation && sameMaintenance(entry.maintenance, maintenance)) {
      return entry.report
    }
    return undefined
  }

  /** Lets requests join `report` until it settles. */
  async join(
    key: string,
    generation: number,
    maintenance: MaintenanceState,
    report: Promise<HealthReport>,
  ): Promise<HealthReport> {
    const entry: InflightReport = { report, generation, maintenance }
    this.#building.set(key, entry)
    try {
      return await report
    } finally {
      if (this.#building.get(key) === entry) this.#building.delete(key)
    }
  }

  store(key: string, report: HealthReport, generation: number, runners: readonly CheckRunner[]): void {
    this.#reports.set(key, { report, generation, runners })
    if (this.#reports.size > MAX_REPORTS) {
      const oldest = this.#reports.keys().next().value
      if (oldest !== undefined) this.#reports.delete(oldest)
    }
  }

  clear(): void {
    this.#reports.clear()
  }
}
