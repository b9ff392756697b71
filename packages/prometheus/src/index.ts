import type { Health, Status } from '@healthgate/core'
import { optionReader } from '@healthgate/core/primitives'
import { Counter, Gauge, Histogram, type Registry, register } from 'prom-client'

/** Options of {@link healthMetrics}. */
export interface HealthMetricsOptions {
  /** The registry the metrics are registered in. Default: prom-client's default `register`. */
  registry?: Registry
}

/** Removes the metrics from the registry and stops listening to the health. Calling it twice is harmless. */
export type HealthMetricsDisposer = () => void

const STATUSES: readonly Status[] = ['pass', 'warn', 'fail']
const read = optionReader('healthMetrics')
const KEYS = Object.keys({ registry: true } satisfies Record<keyof HealthMetricsOptions, true>)

/**
 * Registers healthgate's metrics for `health` in a prom-client registry. Gauges are read from the latest
 * results when the registry is scraped: a scrape never runs a check. Counters and the duration histogram
 * count the results the health reports, from its events.
 *
 * | metric | labels |
 * |---|---|
 * | `healthgate_check_status` | `check`, `status`: 1 for the current status among pass, warn, fail |
 * | `healthgate_check_up` | `check`: 1 when it passes or warns, 0 when it fails or has no result yet |
 * | `healthgate_check_duration_seconds` | `check`: histogram of run durations |
 * | `healthgate_check_runs_total` | `check`, `result` |
 * | `healthgate_check_transitions_total` | `check`, `from`, `to` (`from` is `unknown` for a first result) |
 * | `healthgate_ready` | 1 when readiness would answer 200 |
 * | `healthgate_maintenance`, `healthgate_draining` | 0 or 1 |
 * | `healthgate_probers` | `kind`: `active` (counted for drain confirmation), `holding` (still holding it up) |
 * | `healthgate_fleet_panic` | 1 while a fleet's panic threshold holds a failing readiness at 200 (`redisFleet`) |
 * | `healthgate_fleet_panics_total` | times the panic threshold started holding readiness |
 */
export function healthMetrics(health: Health, options?: HealthMetricsOptions): HealthMetricsDisposer {
  if (typeof health?.onCheckResult !== 'function' || typeof health.latestResults !== 'function') {
    read.fail('health', 'a Health created by createHealth()', health)
  }
  const given = read.object(options, KEYS) as HealthMetricsOptions
  const registry = given.registry ?? register
  if (typeof registry?.registerMetric !== 'function')
    read.fail('registry', 'a prom-client Registry', registry)
  const registers = [registry]

  const checkStatus = new Gauge({
    name: 'healthgate_check_status',
    help: 'Current status of each check: 1 for the current one among pass, warn, fail.',
    labelNames: ['check', 'status'] as const,
    registers,
    collect() {
      this.reset()
      const latest = new Map(health.latestResults().map((result) => [result.name, result.status]))
      for (const check of health.checkNames) {
        const current = latest.get(check)
        for (const status of STATUSES) this.set({ check, status }, current === status ? 1 : 0)
      }
    },
  })
  const checkUp = new Gauge({
    name: 'healthgate_check_up',
    help: 'Whether each check passes or warns (1) or fails or has no result yet (0).',
    labelNames: ['check'] as const,
    registers,
    collect() {
      this.reset()
      const latest = new Map(health.latestResults().map((result) => [result.name, result.status]))
      for (const check of health.checkNames) {
        const status = latest.get(check)
        this.set({ check }, status === 'pass' || status === 'warn' ? 1 : 0)
      }
    },
  })
  const duration = new Histogram({
    name: 'healthgate_check_duration_seconds',
    help: 'Duration of check runs, in seconds.',
    labelNames: ['check'] as const,
    registers,
  })
  const runs = new Counter({
    name: 'healthgate_check_runs_total',
    help: 'Check runs by result.',
    labelNames: ['check', 'result'] as const,
    registers,
  })
  const transitions = new Counter({
    name: 'healthgate_check_transitions_total',
    help: 'Status changes of each check.',
    labelNames: ['check', 'from', 'to'] as const,
    registers,
  })
  const ready = new Gauge({
    name: 'healthgate_ready',
    help: 'Whether readiness would answer 200 (1) or 503 (0).',
    registers,
    collect() {
      this.set(health.readyStatus() === 'fail' ? 0 : 1)
    },
  })
  const maintenance = new Gauge({
    name: 'healthgate_maintenance',
    help: 'Whether the instance is in maintenance.',
    registers,
    collect() {
      this.set(health.maintenance.enabled ? 1 : 0)
    },
  })
  const draining = new Gauge({
    name: 'healthgate_draining',
    help: 'Whether the instance drains (maintenance or shutdown).',
    registers,
    collect() {
      this.set(health.drainStatus().draining ? 1 : 0)
    },
  })
  const probers = new Gauge({
    name: 'healthgate_probers',
    help: 'Load-balancer probers: active ones counted for drain confirmation, and those still holding it up.',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      this.set({ kind: 'active' }, health.drainStatus().probers.length)
      this.set({ kind: 'holding' }, health.drainHolders().length)
    },
  })

  let panicking = false
  const panic = new Gauge({
    name: 'healthgate_fleet_panic',
    help: "Whether the fleet's panic threshold holds a failing readiness at 200 (1) or not (0).",
    registers,
    collect() {
      this.set(panicking ? 1 : 0)
    },
  })
  const panics = new Counter({
    name: 'healthgate_fleet_panics_total',
    help: "Times the fleet's panic threshold started holding a failing readiness at 200.",
    registers,
  })
  const offPanic = health.onPanicChange((event) => {
    panicking = event.panic
    if (event.panic) panics.inc()
  })

  const offRuns = health.onCheckResult(({ name, result }) => {
    runs.inc({ check: name, result: result.status })
    duration.observe({ check: name }, result.durationMs / 1000)
  })
  const offChanges = health.onCheckChange(({ name, previous, current }) => {
    transitions.inc({ check: name, from: previous ?? 'unknown', to: current })
  })

  const names = [
    checkStatus,
    checkUp,
    duration,
    runs,
    transitions,
    ready,
    maintenance,
    draining,
    probers,
    panic,
    panics,
  ].map((metric) => (metric as unknown as { name: string }).name)
  let disposed = false
  return () => {
    if (disposed) return
    disposed = true
    offRuns()
    offChanges()
    offPanic()
    for (const name of names) registry.removeSingleMetric(name)
  }
}
