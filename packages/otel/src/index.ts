import type { Health, Status } from '@healthgate/core'
import { optionReader } from '@healthgate/core/primitives'
import { type BatchObservableResult, type Meter, type MeterProvider, metrics } from '@opentelemetry/api'

/** Options of {@link otelMetrics}. */
export interface OtelMetricsOptions {
  /** Where the meter comes from. Default: the global provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider
}

/** Stops observing and counting. Calling it twice is harmless. */
export type OtelMetricsDisposer = () => void

const STATUSES: readonly Status[] = ['pass', 'warn', 'fail']
const read = optionReader('otelMetrics')
const KEYS = Object.keys({ meterProvider: true } satisfies Record<keyof OtelMetricsOptions, true>)
/** The Prometheus client's default buckets, so that both exports of the histogram line up. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Records healthgate's metrics for `health` through the OpenTelemetry metrics API: the same instruments as
 * `@healthgate/prometheus` (a Prometheus exporter names them alike). Gauges are observed from the latest
 * results at collection time, so collecting never runs a check; counters and the histogram count the
 * results the health reports, from its events.
 */
export function otelMetrics(health: Health, options?: OtelMetricsOptions): OtelMetricsDisposer {
  if (typeof health?.onCheckResult !== 'function' || typeof health.latestResults !== 'function') {
    read.fail('health', 'a Health created by createHealth()', health)
  }
  const given = read.object(options, KEYS) as OtelMetricsOptions
  const provider = given.meterProvider ?? metrics.getMeterProvider()
  if (typeof provider?.getMeter !== 'function') read.fail('meterProvider', 'a MeterProvider', provider)
  const meter: Meter = provider.getMeter('@healthgate/otel')

  const checkStatus = meter.createObservableGauge('healthgate_check_status', {
    description: 'Current status of each check: 1 for the current one among pass, warn, fail.',
  })
  const checkUp = meter.createObservableGauge('healthgate_check_up', {
    description: 'Whether each check passes or warns (1) or fails or has no result yet (0).',
  })
  const ready = meter.createObservableGauge('healthgate_ready', {
    description: 'Whether readiness would answer 200 (1) or 503 (0).',
  })
  const maintenance = meter.createObservableGauge('healthgate_maintenance', {
    description: 'Whether the instance is in maintenance.',
  })
  const draining = meter.createObservableGauge('healthgate_draining', {
    description: 'Whether the instance drains (maintenance or shutdown).',
  })
  const probers = meter.createObservableGauge('healthgate_probers', {
    description:
      'Load-balancer probers: active ones counted for drain confirmation, and those still holding it up.',
  })
  const duration = meter.createHistogram('healthgate_check_duration', {
    description: 'Duration of check runs.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  })
  const runs = meter.createCounter('healthgate_check_runs', { description: 'Check runs by result.' })
  const transitions = meter.createCounter('healthgate_check_transitions', {
    description: 'Status changes of each check.',
  })

  const observe = (result: BatchObservableResult) => {
    const latest = new Map(health.latestResults().map((entry) => [entry.name, entry.status]))
    for (const check of health.checkNames) {
      const current = latest.get(check)
      for (const status of STATUSES)
        result.observe(checkStatus, current === status ? 1 : 0, { check, status })
      result.observe(checkUp, current === 'pass' || current === 'warn' ? 1 : 0, { check })
    }
    result.observe(ready, health.readyStatus() === 'fail' ? 0 : 1)
    result.observe(maintenance, health.maintenance.enabled ? 1 : 0)
    const drain = health.drainStatus()
    result.observe(draining, drain.draining ? 1 : 0)
    result.observe(probers, drain.probers.length, { kind: 'active' })
    result.observe(probers, health.drainHolders().length, { kind: 'holding' })
  }
  const observables = [checkStatus, checkUp, ready, maintenance, draining, probers]
  meter.addBatchObservableCallback(observe, observables)

  const offRuns = health.onCheckResult(({ name, result }) => {
    runs.add(1, { check: name, result: result.status })
    duration.record(result.durationMs / 1000, { check: name })
  })
  const offChanges = health.onCheckChange(({ name, previous, current }) => {
    transitions.add(1, { check: name, from: previous ?? 'unknown', to: current })
  })

  let disposed = false
  return () => {
    if (disposed) return
    disposed = true
    offRuns()
    offChanges()
    meter.removeBatchObservableCallback(observe, observables)
  }
}
