import net from 'node:net'
import { type CheckOutcome, createHealth } from '@healthgate/core'
import { mqttCheck } from '@healthgate/mqtt'
import mqtt from 'mqtt'
import { probeBlackHole } from '../support/black-hole.js'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.js'
import { runCheck as run } from '../support/run-check.js'
import { endpointOf, MQTT_URL, uniqueSuffix, withEndpoint } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const cleanups: Array<() => unknown> = []
const later = <T>(value: T, cleanup: (value: T) => unknown): T => {
  cleanups.push(() => cleanup(value))
  return value
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function proxied(): Promise<{ proxy: FaultProxy; url: string }> {
  const proxy = later(await createFaultProxy({ target: endpointOf(MQTT_URL, 1883) }), (p) => p.close())
  return { proxy, url: withEndpoint(MQTT_URL, proxy) }
}

const topic = (): string => `healthgate-test/${uniqueSuffix()}`
const message = (result: Awaited<ReturnType<typeof run>>): string => (result.ok ? '' : result.error.message)

describe('mqttCheck options', () => {
  test('reject a bad target or option with a TypeError naming it', () => {
    expect(() => mqttCheck(null as never)).toThrow(TypeError)
    expect(() => mqttCheck({} as never)).toThrow(
      'mqttCheck(): expected `target` to be `{ client }` or `{ url }`, got an object',
    )
    expect(() => mqttCheck({ client: {} as never })).toThrow(
      'mqttCheck(): expected `client` to be an MqttClient',
    )
    expect(() => mqttCheck({ url: '' })).toThrow('`url`')
    expect(() => mqttCheck({ url: MQTT_URL }, { topic: 'a/#' })).toThrow(
      'mqttCheck(): expected `topic` to be a topic name without wildcards',
    )
    expect(() => mqttCheck({ url: MQTT_URL }, { topik: 'a' } as never)).toThrow(
      /^mqttCheck\(\): unknown option `topik`; did you mean `topic`\?/,
    )
    expect(mqttCheck({ url: MQTT_URL })).toMatchObject({ name: 'mqtt', critical: true })
  })
})

describe('mqttCheck({ client })', () => {
  test('passes with an acknowledged QoS 1 publish and never ends the client', async () => {
    const client = later(await mqtt.connectAsync(MQTT_URL), (c) => c.endAsync(true))
    const definition = mqttCheck({ client }, { topic: topic() })
    expect(await run(definition)).toMatchObject({
      ok: true,
      value: { observedUnit: 'ms', observedValue: expect.any(Number) },
    })
    await definition.close()
    expect(client.connected).toBe(true)
  })

  test('black-holed: fails at the deadline and publishes nothing more until the first is acknowledged', async () => {
    const { proxy, url } = await proxied()
    const client = later(await mqtt.connectAsync(url, { keepalive: 60 }), (c) => c.endAsync(true))
    client.on('error', () => {})
    const definition = mqttCheck({ client }, { topic: topic() })
    proxy.setMode('blackhole')
    const first = await run(definition, 200)
    expect(message(first)).toBe('timed out after 200 ms')
    expect(first.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    const bytesBefore = proxy.stats.bytesIn
    const second = await run(definition, 200)
    expect(message(second)).toMatch(/^previous health publish still unacknowledged after \d+ ms$/)
    expect(proxy.stats.bytesIn).toBe(bytesBefore)
    proxy.setMode('pass')
    await sleep(100)
    expect(await run(definition)).toMatchObject({ ok: true })
    expect(client.connected).toBe(true)
  })

  test('a disconnected client fails at once', async () => {
    const client = await mqtt.connectAsync(MQTT_URL)
    await client.endAsync()
    expect(message(await run(mqttCheck({ client })))).toBe('client not connected')
  })
})

describe('mqttCheck({ url })', () => {
  test('opens one client lazily, reuses it, and health.close() ends it', async () => {
    const { proxy, url } = await proxied()
    const health = later(createHealth({ checks: [mqttCheck({ url }, { cacheTtlMs: 1 })] }), (h) => h.close())
    expect(proxy.stats.connections).toBe(0)
    for (let i = 0; i < 3; i++) {
      expect((await health.evaluate()).status).toBe('pass')
      await sleep(5)
    }
    expect(proxy.stats.connections).toBe(1)
    await health.close()
    await waitFor(() => proxy.stats.activeConnections === 0, 1000)
  })

  test('refused, with a password in the URL: a clear output without the password', async () => {
    const port = await closedPort()
    const secret = `mqtt://app:s3cret-pw@127.0.0.1:${port}`
    const definition = later(mqttCheck({ url: secret }), (d) => d.close())
    const result = await run(definition)
    expect(message(result)).toBe(`cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`)
    const health = later(createHealth({ checks: [mqttCheck({ url: secret })] }), (h) => h.close())
    const report = await health.evaluate()
    expect(report.status).toBe('fail')
    expect(JSON.stringify([result, report])).not.toContain('s3cret-pw')
  })

  test('black-holed: fails within its deadline, at most one connection attempt per TTL over 3 s, recovers', async () => {
    const { proxy, url } = await proxied()
    const definition = later(mqttCheck({ url }), (d) => d.close())
    expect(await run(definition)).toMatchObject({ ok: true })
    const probe = await probeBlackHole(definition, proxy, { timeoutMs: 300, cacheTtlMs: 1000 })
    expect(probe.statuses).toEqual(['fail'])
    // The deadline (300 ms) bounds it: no hang. The margin holds on a busy machine (quiet runs answer within 75 ms of it).
    expect(probe.slowestMs).toBeLessThan(300 + 700)
    expect(probe.evaluations).toBeGreaterThan(10)
    expect(probe.connections).toBeLessThanOrEqual(3)
    proxy.setMode('pass')
    await waitFor(async () => (await run(definition)).ok, 4000)
  })

  test('reset mid-reply fails the check, then it recovers on a new connection', async () => {
    const { proxy, url } = await proxied()
    const definition = later(mqttCheck({ url }), (d) => d.close())
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('latency', { latencyMs: 300 })
    const pending = run(definition, 2000)
    await sleep(100)
    proxy.setMode('reset')
    const result = await pending
    expect(result.ok).toBe(false)
    expect(result.ms).toBeLessThan(1000)
    proxy.setMode('pass')
    await waitFor(async () => (await run(definition)).ok, 2000)
  })

  test('slow broker: passes under the deadline, fails at it', async () => {
    const { proxy, url } = await proxied()
    const definition = later(mqttCheck({ url }), (d) => d.close())
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('latency', { latencyMs: 50 })
    const slow = await run(definition, 500)
    expect(slow).toMatchObject({ ok: true })
    expect(((slow.ok ? slow.value : {}) as CheckOutcome).observedValue).toBeGreaterThanOrEqual(90)
    proxy.setMode('latency', { latencyMs: 400 })
    const tooSlow = await run(definition, 300)
    expect(message(tooSlow)).toBe('timed out after 300 ms')
    // The deadline (300 ms) bounds it: no hang. The margin holds on a busy machine (quiet runs answer within 75 ms of it).
    expect(tooSlow.ms).toBeLessThan(300 + 700)
  })
})
