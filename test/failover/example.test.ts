import type { FailoverEvent } from '@healthgate/failover'
import { createFailoverDemo, type Demo } from '../../examples/failover/demo.js'

let demo: Demo | undefined

afterEach(async () => {
  await demo?.close()
  demo = undefined
})

const INTERVAL = 100
const TIMEOUT = 80
const FAILURES = 3
const SUCCESSES = 2

test('the client follows the monitor: to the secondary when the primary stops, back when it returns', async () => {
  demo = await createFailoverDemo({
    intervalMs: INTERVAL,
    timeoutMs: TIMEOUT,
    failureThreshold: FAILURES,
    successThreshold: SUCCESSES,
    // Reconnect attempts slower than polling, so the probes (not the client's reports) drive this test.
    retryMs: 10_000,
  })
  const { client, monitor, primary } = demo
  await client.waitFor('primary', 2000)
  const events: Array<FailoverEvent & { primarySuccesses?: number }> = []
  monitor.onChange((event) => {
    const primaryState = monitor.snapshot().endpoints.find((endpoint) => endpoint.name === 'primary')
    events.push({ ...event, primarySuccesses: primaryState?.consecutiveSuccesses })
  })

  let started = Date.now()
  await primary.stop()
  await client.waitFor('secondary', 5000)
  const failoverMs = Date.now() - started
  // failureThreshold x interval (+10 % jitter) + timeout, plus the round already under way; generous for CI.
  expect(failoverMs).toBeLessThan(FAILURES * INTERVAL * 1.1 + TIMEOUT + INTERVAL + 500)
  expect(client.connectedTo).toBe('secondary')

  started = Date.now()
  await primary.start()
  await client.waitFor('primary', 5000)
  const failbackMs = Date.now() - started
  expect(failbackMs).toBeLessThan(SUCCESSES * INTERVAL * 1.1 + INTERVAL + 500)

  expect(events.map(({ type, from, to, failback }) => ({ type, from, to, failback }))).toEqual([
    { type: 'switch', from: 'primary', to: 'secondary', failback: false },
    { type: 'switch', from: 'secondary', to: 'primary', failback: true },
  ])
  // Failback happened on exactly the successThreshold-th consecutive success of the primary.
  expect(events[1]?.primarySuccesses).toBe(SUCCESSES)
})

test('dropped connections reported by the client count toward the threshold', async () => {
  demo = await createFailoverDemo({
    intervalMs: 5000,
    timeoutMs: 200,
    failureThreshold: 3,
    successThreshold: 2,
    retryMs: 50,
  })
  const { client, primary } = demo
  await client.waitFor('primary', 2000)
  const started = Date.now()
  await primary.stop()
  // Polling alone would need 3 x 5 s; the client's three failed reconnects get there in about 3 x 50 ms.
  await client.waitFor('secondary', 3000)
  expect(Date.now() - started).toBeLessThan(2000)
})
