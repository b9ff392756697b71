/**
 * The demos with MYSQL_URL, AMQP_URL, NATS_URL and MQTT_URL set (each pointed at the real service through a fault
 * proxy): an authorized caller sees the dependency checks, and readiness answers 503 within 1.2 s when any
 * one of them hangs. Runs the built packages, like a user does.
 */
import { join } from 'node:path'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.js'
import { request } from '../support/http.js'
import { AMQP_URL, endpointOf, MQTT_URL, MYSQL_URL, NATS_URL, withEndpoint } from '../support/services.js'
import { type Child, killChildren, ROOT, spawnNode } from '../support/spawn.js'
import { sleep, waitFor } from '../support/wait.js'

const TOKEN = 'demo-dependencies-t0ken'
const auth = { authorization: `Bearer ${TOKEN}` }

const SERVICES = [
  { key: 'mysql', env: 'MYSQL_URL', url: MYSQL_URL, port: 3306 },
  { key: 'rabbitmq', env: 'AMQP_URL', url: AMQP_URL, port: 5672 },
  { key: 'nats', env: 'NATS_URL', url: NATS_URL, port: 4222 },
  { key: 'mqtt', env: 'MQTT_URL', url: MQTT_URL, port: 1883 },
] as const

describe.each(['express', 'fastify'])('the %s demo with dependency URLs', (framework) => {
  const proxies = new Map<string, FaultProxy>()
  let demo: Child
  let url = ''

  beforeAll(async () => {
    const env: Record<string, string> = { PORT: '0', HOST: '127.0.0.1', HEALTHGATE_ADMIN_TOKEN: TOKEN }
    for (const service of SERVICES) {
      const proxy = await createFaultProxy({ target: endpointOf(service.url, service.port) })
      proxies.set(service.key, proxy)
      env[service.env] = withEndpoint(service.url, proxy)
    }
    demo = spawnNode(join(ROOT, 'examples', framework, 'server.mjs'), env)
    url = (await demo.waitFor(/listening on (http:\/\/\S+)/, 15_000))[1] ?? ''
  })

  afterAll(async () => {
    await killChildren()
    for (const proxy of proxies.values()) await proxy.close()
  })

  test('answers 200 with the mysql, rabbitmq, nats and mqtt checks for an authorized caller', async () => {
    // The checks that own their connection open it on their first run.
    await waitFor(async () => (await request(url, '/health')).status === 200, 5000)
    const answer = await request(url, '/health', { headers: auth })
    expect(answer.status).toBe(200)
    const checks = JSON.parse(answer.body).checks as Record<string, Array<{ status: string }>>
    for (const service of SERVICES) {
      expect(checks[`${service.key}:responseTime`]?.[0]?.status).toBe('pass')
    }
  })

  test.each(SERVICES.map((service) => service.key))(
    'answers 503 within 1.2 s when %s hangs, and 200 again once it answers',
    async (key) => {
      const proxy = proxies.get(key) as FaultProxy
      await waitFor(async () => (await request(url, '/health')).status === 200, 5000)
      proxy.setMode('blackhole')
      // Past the 1 s result cache, so that the next request runs the check against the hung server.
      await sleep(1100)
      const started = performance.now()
      const answer = await request(url, '/health', { headers: auth })
      const elapsed = performance.now() - started
      expect(answer.status).toBe(503)
      expect(elapsed).toBeLessThan(1200)
      const checks = JSON.parse(answer.body).checks as Record<string, Array<{ status: string }>>
      expect(checks[`${key}:responseTime`]?.[0]?.status).toBe('fail')
      proxy.setMode('pass')
      await waitFor(async () => (await request(url, '/health')).status === 200, 5000)
    },
  )
})
