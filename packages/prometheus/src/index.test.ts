import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createHealth,
  createNodeListener,
  type FleetHost,
  type Health,
  type HealthFleet,
} from '@healthgate/core'
import { Registry } from 'prom-client'
import { healthMetrics } from './index.js'

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
    unhealthyThreshold: 1,
  })
  const registry = new Registry()
  const dispose = healthMetrics(health, { registry })
  cleanups.push(() => health.close(), dispose)
  return { state, health, registry }
}

/** The value of one series, read the way a scrape reads it. */
async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metrics = await registry.getMetricsAsJSON()
  const metric = metrics.find((entry) => entry.name === name || `${entry.name}_count` === name)
  if (!metric) throw new Error(`no metric ${name}`)
  const series = metric.values.find(
    (entry) =>
      Object.entries(labels).every(([key, wanted]) => String(entry.labels[key]) === wanted) &&
      (!('metricName' in entry) || entry.metricName === name),
  )
  return series?.value ?? Number.NaN
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

async function flip(health: Health, state: { up: boolean }, up: boolean) {
  state.up = up
  await settle()
  await health.evaluate()
}

test('every metric, with its names and labels, through pass -> fail -> pass', async () => {
  const { state, health, registry } = setup()
  await health.evaluate()
  expect(await value(registry, 'healthgate_check_up', { check: 'db' })).toBe(1)
  expect(await value(registry, 'healthgate_check_status', { check: 'db', status: 'pass' })).toBe(1)
  expect(await value(registry, 'healthgate_ready')).toBe(1)

  await flip(health, state, false)
  expect(await value(registry, 'healthgate_check_up', { check: 'db' })).toBe(0)
  expect(await value(registry, 'healthgate_check_status', { check: 'db', status: 'pass' })).toBe(0)
  expect(await value(registry, 'healthgate_check_status', { check: 'db', status: 'warn' })).toBe(0)
  expect(await value(registry, 'healthgate_check_status', { check: 'db', status: 'fail' })).toBe(1)
  expect(await value(registry, 'healthgate_ready')).toBe(0)

  await flip(health, state, true)
  expect(await value(registry, 'healthgate_check_up', { check: 'db' })).toBe(1)
  expect(await value(registry, 'healthgate_ready')).toBe(1)
  const transitions = (from: string, to: string) =>
    value(registry, 'healthgate_check_transitions_total', { check: 'db', from, to })
  expect(await transitions('unknown', 'pass')).toBe(1)
  expect(await transitions('pass', 'fail')).toBe(1)
  expect(await transitions('fail', 'pass')).toBe(1)
  expect(await value(registry, 'healthgate_check_runs_total', { check: 'db', result: 'pass' })).toBe(2)
  expect(await value(registry, 'healthgate_check_runs_total', { check: 'db', result: 'fail' })).toBe(1)
  expect(await value(registry, 'healthgate_check_duration_seconds_count', { check: 'db' })).toBe(3)
  const text = await registry.metrics()
  expect(text).toContain('# TYPE healthgate_check_duration_seconds histogram')
  expect(text).toContain('healthgate_check_duration_seconds_bucket{le="0.005",check="db"}')
})

test('maintenance, draining and probers', async () => {
  const { health, registry } = setup()
  await health.evaluate()
  health.recordProbe('lb-1', 200, performance.now(), '10.0.0.1', 'ELB-HealthChecker/2.0')
  expect(await value(registry, 'healthgate_maintenance')).toBe(0)
  expect(await value(registry, 'healthgate_draining')).toBe(0)
  await health.enterMaintenance('deploy')
  expect(await value(registry, 'healthgate_maintenance')).toBe(1)
  expect(await value(registry, 'healthgate_draining')).toBe(1)
  expect(await value(registry, 'healthgate_ready')).toBe(0)
  expect(await value(registry, 'healthgate_probers', { kind: 'active' })).toBe(1)
  expect(await value(registry, 'healthgate_probers', { kind: 'holding' })).toBe(1)
  health.recordProbe('lb-1', 503, performance.now(), '10.0.0.1', 'ELB-HealthChecker/2.0')
  expect(await value(registry, 'healthgate_probers', { kind: 'holding' })).toBe(0)
  await health.leaveMaintenance()
  expect(await value(registry, 'healthgate_maintenance')).toBe(0)
  expect(await value(registry, 'healthgate_draining')).toBe(0)
  health.startDraining()
  expect(await value(registry, 'healthgate_draining')).toBe(1)
  expect(await value(registry, 'healthgate_maintenance')).toBe(0)
})

test('a scrape runs no check', async () => {
  const { state, health, registry } = setup()
  await health.evaluate()
  const runs = state.runs
  await settle()
  for (let index = 0; index < 20; index++) await registry.metrics()
  expect(state.runs).toBe(runs)
})

test('/metrics answers 200 while /health answers 503', async () => {
  const { state, health, registry } = setup()
  state.up = false
  const healthRoutes = createNodeListener(health)
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.setHeader('Content-Type', registry.contentType)
      res.end(await registry.metrics())
      return
    }
    healthRoutes(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const healthAnswer = await fetch(`${base}/health`)
  await healthAnswer.text()
  const metrics = await fetch(`${base}/metrics`)
  expect(healthAnswer.status).toBe(503)
  expect(metrics.status).toBe(200)
  expect(await metrics.text()).toContain('healthgate_check_up{check="db"} 0')
})

test('the disposer unregisters the metrics and stops counting', async () => {
  const health = createHealth({ checks: [{ name: 'x', check: async () => {} }] })
  cleanups.push(() => health.close())
  const registry = new Registry()
  const dispose = healthMetrics(health, { registry })
  dispose()
  dispose()
  expect(await registry.getMetricsAsJSON()).toEqual([])
  // Registering again works: nothing is left behind.
  cleanups.push(healthMetrics(health, { registry }))
})

test('the fleet panic: a gauge while it holds readiness, a counter of its starts', async () => {
  let host: FleetHost | undefined
  let output: string | undefined
  const fleet: HealthFleet = {
    attach: (attached) => {
      host = attached
    },
    admitMaintenance: async () => () => {},
    panic: () => output,
    view: async () => ({}),
    close: () => {},
  }
  const health = createHealth({
    fleet,
    checks: [{ name: 'db', check: () => Promise.reject(new Error('down')) }],
  })
  const registry = new Registry()
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
  cleanups.push(
    () => health.close(),
    healthMetrics(health, { registry }),
    () => warn.mockRestore(),
  )
  await health.evaluate()
  expect(await value(registry, 'healthgate_fleet_panic')).toBe(0)
  expect(await value(registry, 'healthgate_ready')).toBe(0)
  output = 'fleet panic: 0 of 2 instances ready'
  host?.panicChanged()
  expect(await value(registry, 'healthgate_fleet_panic')).toBe(1)
  expect(await value(registry, 'healthgate_fleet_panics_total')).toBe(1)
  expect(await value(registry, 'healthgate_ready')).toBe(1)
  output = undefined
  host?.panicChanged()
  expect(await value(registry, 'healthgate_fleet_panic')).toBe(0)
  expect(await value(registry, 'healthgate_fleet_panics_total')).toBe(1)
})
