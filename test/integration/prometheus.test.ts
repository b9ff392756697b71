// A real Prometheus scrapes a demo-like server (PostgreSQL check, maintenance, /metrics) every second; the
// test changes the world and reads the series back through Prometheus' HTTP query API.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHealth, createNodeListener, type Health } from '@healthgate/core'
import { pgCheck } from '@healthgate/pg'
import { healthMetrics } from '@healthgate/prometheus'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.js'
import { type Prometheus, startPrometheus } from '../support/prometheus.js'
import { endpointOf, PG_URL, withEndpoint } from '../support/services.js'
import { waitFor } from '../support/wait.js'

jest.setTimeout(90_000)

let proxy: FaultProxy
let health: Health
let server: Server
let prometheus: Prometheus
let stopMetrics: () => void
let metricsServed = 0

beforeAll(async () => {
  proxy = await createFaultProxy({ target: endpointOf(PG_URL, 5432) })
  health = createHealth({
    checks: [
      // In the background, as an app under a load balancer's probes would see its check refreshed.
      pgCheck(
        { connectionString: withEndpoint(PG_URL, proxy) },
        { name: 'db', intervalMs: 300, timeoutMs: 1500 },
      ),
    ],
  })
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  stopMetrics = healthMetrics(health, { registry })
  const healthRoutes = createNodeListener(health)
  server = createServer(async (request, response) => {
    if (request.url === '/metrics') {
      metricsServed++
      response.setHeader('Content-Type', registry.contentType)
      response.end(await registry.metrics())
      return
    }
    healthRoutes(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  prometheus = await startPrometheus(`127.0.0.1:${port}`)
  await prometheus.waitForTarget()
})

afterAll(async () => {
  await prometheus?.stop()
  await new Promise((resolve) => server?.close(resolve))
  stopMetrics?.()
  await health?.close()
  await proxy?.close()
})

/** The value Prometheus holds for `promql` (one series), once it equals `expected`; throws with the last one. */
async function expectSeries(promql: string, expected: number, timeoutMs = 20_000): Promise<void> {
  let last: number | undefined
  try {
    await waitFor(
      async () => {
        const samples = await prometheus.query(promql)
        last = samples[0]?.value
        return last === expected
      },
      timeoutMs,
      250,
    )
  } catch {
    throw new Error(`${promql}: expected ${expected}, Prometheus holds ${last}\n${prometheus.stderr}`)
  }
}

test('Prometheus sees maintenance, a PostgreSQL outage and its recovery, and the transitions', async () => {
  await expectSeries('healthgate_check_up{check="db"}', 1)
  await expectSeries('healthgate_ready', 1)
  await expectSeries('healthgate_maintenance', 0)

  await health.enterMaintenance('deploy')
  await expectSeries('healthgate_maintenance', 1)
  await expectSeries('healthgate_ready', 0)
  await expectSeries('healthgate_draining', 1)
  // Maintenance leaves the check alone: the database is still up.
  await expectSeries('healthgate_check_up{check="db"}', 1)
  await health.leaveMaintenance()
  await expectSeries('healthgate_maintenance', 0)
  await expectSeries('healthgate_ready', 1)

  proxy.setMode('blackhole')
  await expectSeries('healthgate_check_up{check="db"}', 0)
  await expectSeries('healthgate_ready', 0)
  await expectSeries('healthgate_check_status{check="db",status="fail"}', 1)
  // Scrapes kept succeeding while the instance was unhealthy.
  await expectSeries('up{job="healthgate"}', 1)

  proxy.setMode('pass')
  await expectSeries('healthgate_check_up{check="db"}', 1)
  await expectSeries('healthgate_ready', 1)
  // At least once each: on a busy machine a slow connection may add a flip of its own.
  await expectSeries('healthgate_check_transitions_total{check="db",from="pass",to="fail"} >= bool 1', 1)
  await expectSeries('healthgate_check_transitions_total{check="db",from="fail",to="pass"} >= bool 1', 1)
  await expectSeries('healthgate_check_runs_total{check="db",result="fail"} > bool 0', 1)
  expect(metricsServed).toBeGreaterThan(3)
})
