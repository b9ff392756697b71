import { type CheckOutcome, createHealth } from '@healthgate/core'
import { natsCheck } from '@healthgate/nats'
import { connect } from 'nats'
import { cleanupRegistry } from '../support/cleanup.js'
import { proxiedService } from '../support/fault-proxy.js'
import { ownConnectionFaults } from '../support/own-connection-faults.js'
import { closedPort } from '../support/ports.js'
import { failureMessage, runCheck as run } from '../support/run-check.js'
import { NATS_URL } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const later = cleanupRegistry()
const proxied = () => proxiedService(later, NATS_URL, 4222)

const message = failureMessage

describe('natsCheck options', () => {
  test('reject a bad target or option with a TypeError naming it', () => {
    expect(() => natsCheck(null as never)).toThrow(TypeError)
    expect(() => natsCheck({} as never)).toThrow(
      'natsCheck(): expected `target` to be `{ connection }` or `{ servers }`, got an object',
    )
    expect(() => natsCheck({ connection: {} as never })).toThrow(
      'natsCheck(): expected `connection` to be a NatsConnection',
    )
    expect(() => natsCheck({ servers: [] })).toThrow('`servers`')
    expect(() => natsCheck({ servers: NATS_URL }, { jetstream: 'yes' as never })).toThrow('`jetstream`')
    expect(() => natsCheck({ servers: NATS_URL }, { jetstrem: true } as never)).toThrow(
      /^natsCheck\(\): unknown option `jetstrem`; did you mean `jetstream`\?/,
    )
    expect(natsCheck({ servers: NATS_URL })).toMatchObject({ name: 'nats', critical: true })
  })
})

describe('natsCheck({ connection })', () => {
  test('passes with the round trip, optionally JetStream, and never closes the connection', async () => {
    const connection = later(await connect({ servers: NATS_URL }), (c) => c.close())
    const definition = natsCheck({ connection }, { jetstream: true })
    const result = await run(definition)
    expect(result).toMatchObject({
      ok: true,
      value: { observedUnit: 'ms', observedValue: expect.any(Number) },
    })
    const jetstream = ((result.ok ? result.value : {}) as CheckOutcome).measurements?.jetstream?.observedValue
    expect(jetstream).toEqual({ streams: expect.any(Number), consumers: expect.any(Number) })
    await definition.close()
    expect(connection.isClosed()).toBe(false)
    await connection.flush()
  })

  test('black-holed: fails at the deadline and sends nothing more until the round trip settles', async () => {
    const { proxy, url } = await proxied()
    const connection = later(await connect({ servers: url, pingInterval: 60_000 }), (c) => c.close())
    const definition = natsCheck({ connection })
    proxy.setMode('blackhole')
    const first = await run(definition, 200)
    expect(message(first)).toBe('timed out after 200 ms')
    expect(first.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    const bytesBefore = proxy.stats.bytesIn
    const second = await run(definition, 200)
    expect(message(second)).toMatch(/^previous health round trip still unanswered after \d+ ms$/)
    expect(proxy.stats.bytesIn).toBe(bytesBefore)
    proxy.setMode('pass')
    await sleep(100)
    expect(await run(definition)).toMatchObject({ ok: true })
    expect(connection.isClosed()).toBe(false)
  })

  test('a closed connection fails at once', async () => {
    const connection = await connect({ servers: NATS_URL })
    await connection.close()
    expect(message(await run(natsCheck({ connection })))).toBe('round trip failed: connection closed')
  })
})

describe('natsCheck({ servers })', () => {
  test('opens one connection lazily, reuses it, and health.close() closes it', async () => {
    const { proxy, url } = await proxied()
    const health = later(createHealth({ checks: [natsCheck({ servers: url }, { cacheTtlMs: 1 })] }), (h) =>
      h.close(),
    )
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
    const definition = later(natsCheck({ servers: `nats://app:s3cret-pw@127.0.0.1:${port}` }), (d) =>
      d.close(),
    )
    const result = await run(definition)
    expect(message(result)).toMatch(/^cannot connect: /)
    expect(message(result)).toContain('CONNECTION_REFUSED')
    const health = later(
      createHealth({ checks: [natsCheck({ servers: `nats://app:s3cret-pw@127.0.0.1:${port}` })] }),
      (h) => h.close(),
    )
    const report = await health.evaluate()
    expect(report.status).toBe('fail')
    expect(JSON.stringify([result, report])).not.toContain('s3cret-pw')
  })

  test('reset mid-reply fails the check, then it recovers on a new connection', async () => {
    const { proxy, url } = await proxied()
    const definition = later(natsCheck({ servers: url }), (d) => d.close())
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('latency', { latencyMs: 300 })
    const pending = run(definition, 2000)
    await sleep(100)
    proxy.setMode('reset')
    const result = await pending
    expect(message(result)).toMatch(/^round trip failed: /)
    expect(result.ms).toBeLessThan(1000)
    proxy.setMode('pass')
    expect(await run(definition)).toMatchObject({ ok: true })
    expect(proxy.stats.connections).toBe(2)
  })

  ownConnectionFaults({ check: (url) => natsCheck({ servers: url }), proxied, later })
})
