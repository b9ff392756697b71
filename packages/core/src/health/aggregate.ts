import type { CheckResult, HealthReport, MaintenanceState, Probe, Status } from '../types.js'
import { type LifecycleView, lifecycleState } from './registry.js'

/** Any critical `fail` -> `fail`; otherwise any `warn` or non-critical `fail` -> `warn`; else `pass`. */
export function aggregateStatus(results: readonly CheckResult[]): Status {
  let status: Status = 'pass'
  for (const result of results) {
    if (result.status === 'fail') {
      if (result.critical) return 'fail'
      status = 'warn'
    } else if (result.status === 'warn') status = 'warn'
  }
  return status
}

/** Why `probe` fails whatever its checks say, if it does: readiness while not serving, startup until started. */
export function lifecycleOutput(
  probe: Probe | 'check',
  lifecycle: LifecycleView,
  maintenance: MaintenanceState,
): string | undefined {
  if (probe === 'startup') return lifecycle.started ? undefined : 'starting'
  if (probe !== 'ready') return undefined
  if (lifecycle.stopped) return 'stopped'
  if (maintenance.enabled) return 'maintenance'
  if (lifecycle.draining) return 'draining'
  return lifecycle.started ? undefined : 'starting'
}

/**
 * The one rule from results to a report, for every probe and for a single check (`'check'`): the
 * aggregate of the results, overruled by the lifecycle (see `lifecycleOutput`). `panic` (a fleet's panic
 * threshold) turns a readiness that fails on its checks, and only that, into `warn` explained by it.
 */
export function toReport(
  probe: Probe | 'check',
  results: CheckResult[],
  lifecycle: LifecycleView,
  maintenance: MaintenanceState,
  panic?: string,
): HealthReport {
  let output = lifecycleOutput(probe, lifecycle, maintenance)
  let status = output === undefined ? aggregateStatus(results) : 'fail'
  if (status === 'fail' && output === undefined && panic !== undefined && probe === 'ready') {
    status = 'warn'
    output = panic
  }
  const report: HealthReport = {
    status,
    httpStatus: status === 'fail' ? 503 : 200,
    probe,
    state: lifecycleState(lifecycle, maintenance),
    maintenance,
    checks: results,
  }
  if (output !== undefined) report.output = output
  return report
}
