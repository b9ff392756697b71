import { createHealth } from '@healthgate/core'
import { mqttCheck } from '@healthgate/mqtt'
import mqtt from 'mqtt'
import { cleanupRegistry } from '../support/cleanup.js'
import { proxiedService } from '../support/fault-proxy.js'
import { ownConnectionFaults } from '../support/own-connection-faults.js'
import { closedPort } from '../support/ports.js'
import { failureMessage, runCheck as run } from '../support/run-check.js'
import { MQTT_URL, uniqueSuffix } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const later = cleanupRegistry()
const proxied = () => proxiedService(later, MQTT_URL, 1883)

const topic = (): string => `healthgate-test/${uniqueSuffix()}`
const message = failureMessage

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

  ownConnectionFaults({ check: (url) => mqttCheck({ url }), proxied, later })
})
