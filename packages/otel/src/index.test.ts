import { createHealth } from '@healthgate/core'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { otelMetrics } from './index.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function setup() {
  const state = { up: true, runs: 0 }
  const health = createHealth({
    checks: [
      {
        name: 'db',
        cacheTtlMs: 1,
        check: async () => {
          state.runs++
          if (!state.up) throw new Error('connection refused')
        },
      },
    ],
  })
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // Exports only when flushed below: the interval is far beyond the test.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  const dispose = otelMetrics(health, { meterProvider: provider })
  cleanups.push(
    () => health.close(),
    () => provider.shutdown(),
    dispose,
  )

  /** Exports once, then the value of one series of the latest export. */
  const value = async (name: string, attributes: Record<string, string> = {}) => {
    exporter.reset()
    await reader.forceFlush()
    const metrics = exporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics))
    const metric = metrics.find((entry) => entry.descriptor.name === name)
    if (!metric) throw new Error(`no metric ${name}`)
    const point = metric.dataPoints.find((entry) =>
      Object.entries(attributes).every(([key, wanted]) => entry.attributes[key] === wanted),
    )
    if (!point) return Number.NaN
    const data = point.value as number | { count: number }
    return typeof data === 'number' ? data : data.count
  }
  return { state, health, value }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

test('the instruments read back through the in-memory exporter, through pass -> fail -> pass', async () => {
  const { state, health, value } = setup()
  await health.evaluate()
  expect(await value('healthgate_check_up', { check: 'db' })).toBe(1)
  expect(await value('healthgate_check_status', { check: 'db', status: 'pass' })).toBe(1)
  expect(await value('healthgate_ready')).toBe(1)

  state.up = false
  await settle()
  await health.evaluate()
  expect(await value('healthgate_check_up', { check: 'db' })).toBe(0)
  expect(await value('healthgate_check_status', { check: 'db', status: 'fail' })).toBe(1)
  expect(await value('healthgate_check_status', { check: 'db', status: 'pass' })).toBe(0)
  expect(await value('healthgate_ready')).toBe(0)

  state.up = true
  await settle()
  await health.evaluate()
  expect(await value('healthgate_check_up', { check: 'db' })).toBe(1)
  expect(await value('healthgate_check_transitions', { check: 'db', from: 'pass', to: 'fail' })).toBe(1)
  expect(await value('healthgate_check_transitions', { check: 'db', from: 'fail', to: 'pass' })).toBe(1)
  expect(await value('healthgate_check_runs', { check: 'db', result: 'pass' })).toBe(2)
  expect(await value('healthgate_check_runs', { check: 'db', result: 'fail' })).toBe(1)
  expect(await value('healthgate_check_duration', { check: 'db' })).toBe(3)

  const runs = state.runs
  for (let index = 0; index < 5; index++) await value('healthgate_ready')
  expect(state.runs).toBe(runs)
})

test('maintenance, draining and probers', async () => {
  const { health, value } = setup()
  await health.evaluate()
  health.recordProbe('lb-1', 200, performance.now(), '10.0.0.1', 'ELB-HealthChecker/2.0')
  await health.enterMaintenance()
  expect(await value('healthgate_maintenance')).toBe(1)
  expect(await value('healthgate_draining')).toBe(1)
  expect(await value('healthgate_probers', { kind: 'active' })).toBe(1)
  expect(await value('healthgate_probers', { kind: 'holding' })).toBe(1)
  await health.leaveMaintenance()
  expect(await value('healthgate_maintenance')).toBe(0)
  expect(await value('healthgate_draining')).toBe(0)
})
