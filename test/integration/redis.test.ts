import { createHealth } from '@healthgate/core'
import { redisCheck } from '@healthgate/redis'
import { Redis } from 'ioredis'
import { cleanupRegistry } from '../support/cleanup.js'
import { createFaultProxy } from '../support/fault-proxy.js'
import { ADMIN_TOKEN, serve } from '../support/http.js'
import { endpointOf, REDIS_URL } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const later = cleanupRegistry()

async function setup() {
  const proxy = later(await createFaultProxy({ target: endpointOf(REDIS_URL, 6379) }), (p) => p.close())
  // An application client as commonly configured: offline queue on, reconnecting with a short backoff.
  const client = later(
    new Redis({ host: proxy.host, port: proxy.port, retryStrategy: (times) => Math.min(times * 50, 500) }),
    (c) => c.disconnect(),
  )
  client.on('error', () => {})
  await waitFor(() => client.status === 'ready', 2000)
  const health = later(
    createHealth({ checks: [redisCheck({ client }, { timeoutMs: 500, cacheTtlMs: 100 })] }),
    (h) => h.close(),
  )
  const server = later(await serve(health), (s) => s.close())
  return { proxy, client, health, server }
}

describe('Redis unreachable while ioredis reconnects', () => {
  test('readiness fails at once (no offline-queue wait), and passes within 2 s of Redis returning', async () => {
    const { proxy, client, health, server } = await setup()
    expect((await health.evaluate()).status).toBe('pass')

    // Stopped: every connection attempt is refused with a reset.
    proxy.setMode('reset')
    await waitFor(() => client.status !== 'ready', 1000)
    await sleep(120) // the cached pass expires
    let started = performance.now()
    const stopped = await health.evaluate()
    const stoppedMs = performance.now() - started
    expect(stopped.status).toBe('fail')
    expect(stopped.checks[0]?.output).toMatch(/^Redis connection is \w+, not ready; not waiting for it$/)
    expect(stoppedMs).toBeLessThan(400) // at once, not at the 500 ms deadline (quiet runs: under 1 ms)

    // Black-holed: the reconnect attempt is accepted but never answered.
    proxy.setMode('blackhole')
    await waitFor(() => client.status === 'connect' || client.status === 'connecting', 2000)
    await sleep(120)
    started = performance.now()
    const blackholed = await health.evaluate()
    const blackholedMs = performance.now() - started
    expect(blackholed.status).toBe('fail')
    expect(blackholed.checks[0]?.output).toMatch(/^Redis connection is \w+, not ready; not waiting for it$/)
    expect(blackholedMs).toBeLessThan(400) // at once, not at the 500 ms deadline
    const anonymous = await server.get('/health/ready')
    expect(anonymous.status).toBe(503)
    expect(anonymous.ms).toBeLessThan(400)

    proxy.setMode('pass')
    const back = performance.now()
    await waitFor(async () => (await server.get('/health/ready')).status === 200, 2000)
    const recoveredMs = performance.now() - back
    expect(recoveredMs).toBeLessThan(2000)
    const detailed = JSON.parse((await server.get('/health/ready', ADMIN_TOKEN)).body)
    expect(detailed.checks['redis:responseTime'][0]).toMatchObject({
      status: 'pass',
      componentType: 'datastore',
    })
    process.stdout.write(
      `[measure] Redis down: fail in ${stoppedMs.toFixed(1)} ms (reset), ${blackholedMs.toFixed(1)} ms (black hole); ` +
        `pass again ${recoveredMs.toFixed(0)} ms after Redis returned\n`,
    )
  })

  test('black-holed on a ready connection: 503 at the deadline, then at once while the PING is unanswered', async () => {
    const { proxy, server } = await setup()
    expect((await server.get('/health/ready')).status).toBe(200)
    proxy.setMode('blackhole')
    await sleep(120)
    const first = await server.get('/health/ready', ADMIN_TOKEN)
    expect(first.status).toBe(503)
    expect(first.ms).toBeGreaterThanOrEqual(450)
    expect(first.ms).toBeLessThan(500 + 700) // the deadline, with a margin a busy machine holds
    expect(JSON.parse(first.body).checks['redis:responseTime'][0].output).toBe('timed out after 500 ms')
    await sleep(120)
    const next = await server.get('/health/ready', ADMIN_TOKEN)
    expect(next.status).toBe(503)
    expect(next.ms).toBeLessThan(400) // at once, not at the 500 ms deadline
    expect(JSON.parse(next.body).checks['redis:responseTime'][0].output).toMatch(
      /^previous PING still unanswered/,
    )
    proxy.setMode('pass')
    await waitFor(async () => (await server.get('/health/ready')).status === 200, 2000)
  })
})
