import type { CheckDefinition, CheckOutcome } from '@healthgate/core'
import { probeBlackHole } from './black-hole.js'
import type { FaultProxy } from './fault-proxy.js'
import { failureMessage, runCheck as run } from './run-check.js'
import { waitFor } from './wait.js'

/** What {@link ownConnectionFaults} needs: the check over a URL, and a fault proxy in front of the server. */
export interface OwnConnectionFaultsOptions {
  /** The check with a connection of its own to `url`; the suite closes it. */
  check(url: string): CheckDefinition
  /** A fault proxy in front of the real server, and the server's URL pointed at it. */
  proxied(): Promise<{ proxy: FaultProxy; url: string }>
  /** Registers a cleanup after the test. */
  later: <T>(value: T, cleanup: (value: T) => unknown) => T
}

const timers = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length

/**
 * The faults every check with a connection of its own answers the same way (RabbitMQ, NATS, MQTT): a
 * black-holed server and a slow one. Defines the tests in the calling `describe`.
 */
export function ownConnectionFaults({ check, proxied, later }: OwnConnectionFaultsOptions): void {
  test('black-holed: fails within its deadline, at most one connection attempt per TTL over 3 s, recovers', async () => {
    const { proxy, url } = await proxied()
    const definition = later(check(url), (d) => d.close?.())
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

  test('slow server: passes under the deadline, fails at it, and the connection cut off leaves no timer', async () => {
    const before = timers()
    const { proxy, url } = await proxied()
    const definition = later(check(url), (d) => d.close?.())
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('latency', { latencyMs: 50 })
    const slow = await run(definition, 1000)
    expect(slow).toMatchObject({ ok: true })
    expect(((slow.ok ? slow.value : {}) as CheckOutcome).observedValue).toBeGreaterThanOrEqual(90)
    proxy.setMode('latency', { latencyMs: 400 })
    const tooSlow = await run(definition, 300)
    expect(failureMessage(tooSlow)).toBe('timed out after 300 ms')
    // The deadline (300 ms) bounds it: no hang. The margin holds on a busy machine (quiet runs answer within 75 ms of it).
    expect(tooSlow.ms).toBeLessThan(300 + 700)
    // The connection cut off at the deadline is torn down with its timers (amqplib's heartbeat intervals kept
    // running, and kept the process alive, when its socket was destroyed without an error).
    proxy.setMode('pass')
    await definition.close?.()
    await waitFor(() => timers() <= before, 3000)
  })
}
