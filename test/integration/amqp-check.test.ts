import { amqpCheck } from '@healthgate/amqp'
import { type CheckOutcome, createHealth } from '@healthgate/core'
import amqp from 'amqplib'
import { cleanupRegistry } from '../support/cleanup.js'
import { proxiedService } from '../support/fault-proxy.js'
import { ownConnectionFaults } from '../support/own-connection-faults.js'
import { closedPort } from '../support/ports.js'
import { failureMessage, runCheck as run } from '../support/run-check.js'
import { AMQP_URL, uniqueSuffix } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const later = cleanupRegistry()
const proxied = () => proxiedService(later, AMQP_URL, 5672)

async function appConnection(url = AMQP_URL): Promise<amqp.ChannelModel> {
  const connection = later(await amqp.connect(url), (c) => c.close().catch(() => {}))
  // The application's own handler: a lost connection must not crash the process.
  connection.on('error', () => {})
  return connection
}

const message = failureMessage

describe('amqpCheck options', () => {
  test('reject a bad target or option with a TypeError naming it', () => {
    expect(() => amqpCheck(null as never)).toThrow(TypeError)
    expect(() => amqpCheck({} as never)).toThrow(
      'amqpCheck(): expected `target` to be `{ connection }` or `{ url }`, got an object',
    )
    expect(() => amqpCheck({ connection: {} as never })).toThrow(
      'amqpCheck(): expected `connection` to be an amqplib',
    )
    expect(() => amqpCheck({ url: '' })).toThrow('`url`')
    expect(() => amqpCheck({ url: AMQP_URL }, { queues: 'orders' as never })).toThrow(
      'amqpCheck(): expected `queues` to be an array of non-empty strings',
    )
    expect(() => amqpCheck({ url: AMQP_URL }, { blocked: 'ignore' as never })).toThrow('`blocked`')
    expect(() => amqpCheck({ url: AMQP_URL }, { queue: ['a'] } as never)).toThrow(
      /^amqpCheck\(\): unknown option `queue`; did you mean `queues`\?/,
    )
    expect(amqpCheck({ url: AMQP_URL })).toMatchObject({ name: 'rabbitmq', critical: true })
  })
})

describe('amqpCheck({ connection })', () => {
  test('passes, checks queues and exchanges passively, never closes the connection', async () => {
    const connection = await appConnection()
    const setup = await connection.createChannel()
    const queue = `healthgate-${uniqueSuffix()}`
    await setup.assertQueue(queue, { autoDelete: true })
    later(setup, (channel) => channel.deleteQueue(queue).catch(() => {}))
    const definition = amqpCheck({ connection }, { queues: [queue], exchanges: ['amq.direct'] })
    const result = await run(definition)
    expect(result).toMatchObject({
      ok: true,
      value: { observedUnit: 'ms', observedValue: expect.any(Number) },
    })
    const missing = `healthgate-missing-${uniqueSuffix()}`
    const failed = await run(amqpCheck({ connection }, { queues: [missing] }))
    expect(message(failed)).toMatch(new RegExp(`^queue "${missing}": .*NOT_FOUND`))
    // Passive: the missing queue was not created.
    const probe = await connection.createChannel()
    probe.on('error', () => {})
    await expect(probe.checkQueue(missing)).rejects.toThrow(/NOT_FOUND/)
    await definition.close()
    const channel = await connection.createChannel()
    await channel.close()
  })

  test('a connection blocked by flow control is a warn, or a fail when asked', async () => {
    const connection = await appConnection()
    const definition = amqpCheck({ connection })
    const strict = amqpCheck({ connection }, { blocked: 'fail' })
    // What amqplib emits when the broker sends connection.blocked (a memory or disk alarm).
    connection.emit('blocked', 'low on memory')
    const result = await run(definition)
    const outcome = (result.ok ? result.value : {}) as CheckOutcome
    expect(outcome).toMatchObject({
      status: 'warn',
      output: 'connection blocked by the broker: low on memory',
    })
    expect(message(await run(strict))).toBe('connection blocked by the broker: low on memory')
    connection.emit('unblocked')
    expect(((await run(definition)) as { value: CheckOutcome }).value.status).toBeUndefined()
    await definition.close()
    await strict.close()
    expect(connection.listenerCount('blocked')).toBe(0)
  })

  test('black-holed: fails at the deadline and opens no second channel until the first settles', async () => {
    const { proxy, url } = await proxied()
    const connection = await appConnection(url)
    const definition = amqpCheck({ connection })
    proxy.setMode('blackhole')
    const first = await run(definition, 200)
    expect(message(first)).toBe('timed out after 200 ms')
    expect(first.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    const bytesBefore = proxy.stats.bytesIn
    const second = await run(definition, 200)
    expect(message(second)).toMatch(/^previous health channel still unanswered after \d+ ms$/)
    expect(proxy.stats.bytesIn).toBe(bytesBefore)
    proxy.setMode('pass')
    await waitFor(async () => (await run(definition)).ok, 2000)
  })
})

describe('amqpCheck({ url })', () => {
  test('opens one connection lazily, reuses it, and health.close() closes it', async () => {
    const { proxy, url } = await proxied()
    const health = later(createHealth({ checks: [amqpCheck({ url }, { cacheTtlMs: 1 })] }), (h) => h.close())
    expect(proxy.stats.connections).toBe(0)
    for (let i = 0; i < 3; i++) {
      expect((await health.evaluate()).status).toBe('pass')
      await sleep(5)
    }
    expect(proxy.stats.connections).toBe(1)
    await health.close()
    await waitFor(() => proxy.stats.activeConnections === 0, 1000)
  })

  test('refused or rejected, with a password in the URL: a clear output without the password', async () => {
    const port = await closedPort()
    const refused = later(amqpCheck({ url: `amqp://app:s3cret-pw@127.0.0.1:${port}` }), (d) => d.close())
    const result = await run(refused)
    expect(message(result)).toBe(`cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`)
    const wrong = new URL(AMQP_URL)
    wrong.username = 'guest'
    wrong.password = 's3cret-pw'
    const health = later(createHealth({ checks: [amqpCheck({ url: wrong.toString() })] }), (h) => h.close())
    const report = await health.evaluate()
    expect(report.status).toBe('fail')
    expect(JSON.stringify([result, report])).not.toContain('s3cret-pw')
  })

  test('reset mid-reply fails the check, then it recovers on a new connection', async () => {
    const { proxy, url } = await proxied()
    const definition = later(amqpCheck({ url }), (d) => d.close())
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

  ownConnectionFaults({ check: (url) => amqpCheck({ url }), proxied, later })
})
