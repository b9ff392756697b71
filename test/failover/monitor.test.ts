import {
  createFailover,
  type FailoverEvent,
  type FailoverMonitor,
  type FailoverOptions,
} from '@healthgate/failover'
import { sleep, waitFor } from '../support/wait.js'
import { closeAllStubs, type HealthStub, startHealthStub } from './server.js'

let monitors: FailoverMonitor[] = []

afterEach(async () => {
  await Promise.all(monitors.map((monitor) => monitor.stop()))
  monitors = []
  await closeAllStubs()
})

function monitorFor(
  stubs: HealthStub[],
  options: Partial<FailoverOptions> = {},
): { monitor: FailoverMonitor; events: FailoverEvent[] } {
  const names = ['primary', 'secondary', 'tertiary']
  const monitor = createFailover({
    endpoints: stubs.map((stub, index) => ({
      name: names[index] ?? `endpoint${index}`,
      healthUrl: stub.url,
      connectUrl: `ws://127.0.0.1:${stub.port}/${names[index]}`,
    })),
    intervalMs: 1000,
    timeoutMs: 300,
    jitter: 0,
    ...options,
  })
  monitors.push(monitor)
  const events: FailoverEvent[] = []
  monitor.onChange((event) => events.push(event))
  return { monitor, events }
}

const stateOf = (monitor: FailoverMonitor, name: string) => {
  const found = monitor.snapshot().endpoints.find((endpoint) => endpoint.name === name)
  if (!found) throw new Error(`no endpoint ${name}`)
  return found
}

describe('counting', () => {
  test('switches on exactly the Nth consecutive failure, not before', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 3 })

    await monitor.tick()
    await monitor.tick()
    expect(events).toEqual([])
    expect(monitor.active.name).toBe('primary')
    expect(stateOf(monitor, 'primary')).toMatchObject({
      consecutiveFailures: 2,
      status: 'down',
      lastStatus: 503,
      lastError: 'HTTP 503 (expected 200-399)',
    })

    const snapshot = await monitor.tick()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'switch',
      from: 'primary',
      to: 'secondary',
      connectUrl: `ws://127.0.0.1:${secondary.port}/secondary`,
      failback: false,
    })
    expect(events[0]?.reason).toBe(
      'primary failed 3 consecutive checks (HTTP 503 (expected 200-399)); secondary is healthy',
    )
    expect(Number.isNaN(Date.parse(events[0]?.at ?? ''))).toBe(false)
    expect(snapshot.active.name).toBe('secondary')
    expect(monitor.active.connectUrl).toBe(`ws://127.0.0.1:${secondary.port}/secondary`)
    expect(snapshot.allDown).toBe(false)
  })

  test('one success in between resets the failure count', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 3 })

    await monitor.tick()
    await monitor.tick()
    primary.behaviour.status = 200
    await monitor.tick()
    expect(stateOf(monitor, 'primary')).toMatchObject({ consecutiveFailures: 0, consecutiveSuccesses: 1 })
    primary.behaviour.status = 503
    await monitor.tick()
    await monitor.tick()
    expect(events).toEqual([])
    expect(stateOf(monitor, 'primary').consecutiveFailures).toBe(2)
    await monitor.tick()
    expect(events.map((event) => event.type)).toEqual(['switch'])
  })

  test('fails back after exactly successThreshold successes of the primary', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 1, successThreshold: 3 })

    await monitor.tick()
    expect(monitor.active.name).toBe('secondary')
    // While on the secondary the primary keeps being polled, so it can be failed back to.
    await monitor.tick()
    expect(stateOf(monitor, 'primary').consecutiveFailures).toBe(2)

    primary.behaviour.status = 200
    await monitor.tick()
    await monitor.tick()
    expect(monitor.active.name).toBe('secondary')
    expect(stateOf(monitor, 'primary').consecutiveSuccesses).toBe(2)
    await monitor.tick()
    expect(monitor.active.name).toBe('primary')
    expect(events.map(({ type, from, to, failback }) => ({ type, from, to, failback }))).toEqual([
      { type: 'switch', from: 'primary', to: 'secondary', failback: false },
      { type: 'switch', from: 'secondary', to: 'primary', failback: true },
    ])
    expect(events[1]?.reason).toBe('primary passed 3 consecutive checks')
  })

  test('a higher-priority success streak broken by a failure starts over', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub()
    const { monitor } = monitorFor([primary, secondary], { failureThreshold: 1, successThreshold: 2 })
    await monitor.tick()
    primary.behaviour.status = 200
    await monitor.tick()
    primary.behaviour.status = 503
    await monitor.tick()
    primary.behaviour.status = 200
    await monitor.tick()
    expect(monitor.active.name).toBe('secondary')
    await monitor.tick()
    expect(monitor.active.name).toBe('primary')
  })

  test('with failback: false the monitor stays on the secondary and stops polling the primary', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 1, failback: false })
    await monitor.tick()
    expect(monitor.active.name).toBe('secondary')
    primary.behaviour.status = 200
    const before = primary.methods.length
    for (let i = 0; i < 4; i++) await monitor.tick()
    expect(monitor.active.name).toBe('secondary')
    expect(primary.methods.length).toBe(before)
    expect(events).toHaveLength(1)
  })

  test('fails over to the first healthy endpoint in priority order, skipping unhealthy ones', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub({ status: 500 })
    const tertiary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary, tertiary], { failureThreshold: 1 })
    await monitor.tick()
    expect(monitor.active.name).toBe('tertiary')
    expect(events).toHaveLength(1)

    // Both higher-priority endpoints come back; failback goes to the highest one.
    primary.behaviour.status = 200
    secondary.behaviour.status = 200
    await monitor.tick()
    await monitor.tick()
    expect(monitor.active.name).toBe('primary')
    expect(events.map((event) => `${event.from}->${event.to}`)).toEqual([
      'primary->tertiary',
      'tertiary->primary',
    ])
  })
})

describe('events', () => {
  test('exactly one event per transition, to every listener, and a disposer that unsubscribes', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 2, successThreshold: 2 })
    const second: FailoverEvent[] = []
    const disposed: FailoverEvent[] = []
    monitor.onChange((event) => second.push(event))
    const off = monitor.onChange((event) => disposed.push(event))
    off()

    for (let i = 0; i < 5; i++) await monitor.tick()
    primary.behaviour.status = 200
    for (let i = 0; i < 5; i++) await monitor.tick()

    expect(events.map((event) => `${event.type}:${event.to}`)).toEqual(['switch:secondary', 'switch:primary'])
    expect(second).toEqual(events)
    expect(disposed).toEqual([])
  })

  test('a throwing listener never breaks the loop or other listeners, and reaches onError', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub()
    const reported: unknown[] = []
    const { monitor, events } = monitorFor([primary, secondary], {
      failureThreshold: 1,
      onError: (error) => reported.push(error),
    })
    monitor.onChange(() => {
      throw new Error('listener bug')
    })
    const after: string[] = []
    monitor.onChange((event) => after.push(event.to))

    await expect(monitor.tick()).resolves.toMatchObject({ active: { name: 'secondary' } })
    expect(reported).toEqual([new Error('listener bug')])
    expect(after).toEqual(['secondary'])
    primary.behaviour.status = 200
    await monitor.tick()
    await monitor.tick()
    expect(events.map((event) => event.to)).toEqual(['secondary', 'primary'])
  })
})

describe('probing', () => {
  test('a hanging endpoint counts as failed at timeoutMs and the request is aborted', async () => {
    const primary = await startHealthStub({ hang: true })
    const secondary = await startHealthStub()
    const { monitor } = monitorFor([primary, secondary], { failureThreshold: 2, timeoutMs: 200 })

    const started = Date.now()
    await monitor.tick()
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(elapsed).toBeLessThan(700)
    expect(stateOf(monitor, 'primary')).toMatchObject({
      status: 'down',
      consecutiveFailures: 1,
      lastError: 'timed out after 200 ms',
    })
    expect(stateOf(monitor, 'primary').lastStatus).toBeUndefined()
    await waitFor(() => primary.pendingRequests() === 0, 2000)

    await monitor.tick()
    expect(monitor.active.name).toBe('secondary')
  })

  test('HEAD answered with 405 is retried with GET, and GET is remembered for that endpoint', async () => {
    const primary = await startHealthStub({ status: 200, headStatus: 405 })
    const secondary = await startHealthStub()
    const { monitor } = monitorFor([primary, secondary])

    await monitor.tick()
    expect(primary.methods).toEqual(['HEAD', 'GET'])
    expect(stateOf(monitor, 'primary')).toMatchObject({ status: 'up', method: 'GET', lastStatus: 200 })
    await monitor.tick()
    expect(primary.methods).toEqual(['HEAD', 'GET', 'GET'])
    expect(stateOf(monitor, 'secondary').method).toBe('HEAD')
  })

  test('HEAD answered with 501 is retried with GET too; other statuses are not', async () => {
    const primary = await startHealthStub({ status: 200, headStatus: 501 })
    const secondary = await startHealthStub({ status: 200, headStatus: 503 })
    const { monitor } = monitorFor([primary, secondary], { failureThreshold: 1, failback: false })
    await monitor.tick()
    expect(primary.methods).toEqual(['HEAD', 'GET'])
    expect(monitor.active.name).toBe('primary')
    primary.behaviour.status = 503
    await monitor.tick()
    // The secondary's 503 to HEAD is an answer, not an unsupported method: no GET retry, so all down.
    expect(secondary.methods).toEqual(['HEAD'])
    expect(monitor.allDown).toBe(true)
  })

  test("with expect '200-299' a 302 is a failure; by default it passes and is not followed", async () => {
    const redirecting = await startHealthStub({ status: 302 })
    const secondary = await startHealthStub()
    const strict = monitorFor([redirecting, secondary], { expect: '200-299', failureThreshold: 1 })
    await strict.monitor.tick()
    expect(stateOf(strict.monitor, 'primary')).toMatchObject({
      status: 'down',
      lastStatus: 302,
      lastError: 'HTTP 302 (expected 200-299)',
    })
    expect(strict.monitor.active.name).toBe('secondary')

    const lenient = monitorFor([redirecting, secondary])
    redirecting.methods.length = 0
    await lenient.monitor.tick()
    expect(stateOf(lenient.monitor, 'primary')).toMatchObject({ status: 'up', lastStatus: 302 })
    expect(redirecting.methods).toEqual(['HEAD'])
  })

  test('codes and ranges: 304 accepted by 200-299,304 and 204 rejected by 200,304', async () => {
    const primary = await startHealthStub({ status: 304 })
    const secondary = await startHealthStub({ status: 204 })
    const { monitor } = monitorFor([primary, secondary], { expect: '200-299,304', method: 'GET' })
    await monitor.tick()
    expect(stateOf(monitor, 'primary').status).toBe('up')
    const other = monitorFor([secondary, primary], { expect: '200,304', method: 'GET' })
    await other.monitor.tick()
    expect(stateOf(other.monitor, 'primary')).toMatchObject({ status: 'down', lastStatus: 204 })
  })

  test('a GET probe cancels the response body instead of waiting for it, freeing the socket', async () => {
    const primary = await startHealthStub({ status: 200, endlessBody: true })
    const secondary = await startHealthStub()
    const { monitor } = monitorFor([primary, secondary], { method: 'GET', timeoutMs: 500 })
    const started = Date.now()
    await monitor.tick()
    expect(Date.now() - started).toBeLessThan(400)
    expect(stateOf(monitor, 'primary')).toMatchObject({ status: 'up', lastStatus: 200 })
    await waitFor(() => primary.pendingRequests() === 0, 2000)
  })

  test('connection refused is a failure with a readable error', async () => {
    const primary = await startHealthStub()
    const secondary = await startHealthStub()
    await primary.stop()
    const { monitor } = monitorFor([primary, secondary])
    await monitor.tick()
    expect(stateOf(monitor, 'primary')).toMatchObject({
      status: 'down',
      lastError: 'fetch failed (ECONNREFUSED)',
    })
    expect(stateOf(monitor, 'primary').lastStatus).toBeUndefined()
  })
})

describe('all endpoints down', () => {
  test('active stays, allDown is reported once, and the monitor recovers when one returns', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub({ status: 503 })
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 2 })

    await monitor.tick()
    const snapshot = await monitor.tick()
    expect(snapshot.allDown).toBe(true)
    expect(monitor.allDown).toBe(true)
    expect(snapshot.active.name).toBe('primary')
    expect(snapshot.endpoints.map((endpoint) => endpoint.status)).toEqual(['down', 'down'])
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'all-down', from: 'primary', to: 'primary' })
    expect(events[0]?.reason).toBe(
      'primary failed 2 consecutive checks (HTTP 503 (expected 200-399)); no other endpoint is healthy',
    )

    await monitor.tick()
    await monitor.tick()
    expect(events).toHaveLength(1)
    expect(monitor.active.name).toBe('primary')

    secondary.behaviour.status = 200
    const recovered = await monitor.tick()
    expect(recovered.allDown).toBe(false)
    expect(recovered.active.name).toBe('secondary')
    expect(events.map(({ type, from, to }) => ({ type, from, to }))).toEqual([
      { type: 'all-down', from: 'primary', to: 'primary' },
      { type: 'recovered', from: 'primary', to: 'secondary' },
    ])
  })

  test('recovering to the same endpoint keeps it active and its since', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub({ status: 503 })
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 1 })
    const since = monitor.active.since
    await monitor.tick()
    expect(monitor.allDown).toBe(true)
    primary.behaviour.status = 200
    await monitor.tick()
    expect(monitor.allDown).toBe(false)
    expect(monitor.active).toMatchObject({ name: 'primary', since })
    expect(events.map((event) => event.type)).toEqual(['all-down', 'recovered'])
  })
})

describe('reportFailure', () => {
  test('reported connection failures count toward the threshold and fail over at once', async () => {
    const primary = await startHealthStub()
    const secondary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 3 })

    await monitor.reportFailure('primary', 'socket closed')
    await monitor.reportFailure('primary')
    expect(events).toEqual([])
    expect(stateOf(monitor, 'primary')).toMatchObject({
      consecutiveFailures: 2,
      lastError: 'connection failure reported by the application',
    })
    await monitor.reportFailure('primary', 'socket closed')
    expect(monitor.active.name).toBe('secondary')
    expect(events).toHaveLength(1)
    expect(events[0]?.reason).toBe(
      'primary failed 3 consecutive checks (socket closed); secondary is healthy',
    )
  })

  test('a probe success between reports resets the count', async () => {
    const primary = await startHealthStub()
    const secondary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary], { failureThreshold: 2 })
    await monitor.reportFailure('primary')
    await monitor.tick()
    await monitor.reportFailure('primary')
    expect(events).toEqual([])
    expect(monitor.active.name).toBe('primary')
    // The report counts as a failure but leaves the probe's HTTP status alone.
    expect(stateOf(monitor, 'primary')).toMatchObject({
      status: 'down',
      consecutiveFailures: 1,
      lastStatus: 200,
    })
  })

  test('unknown names are rejected', async () => {
    const primary = await startHealthStub()
    const secondary = await startHealthStub()
    const { monitor } = monitorFor([primary, secondary])
    expect(() => monitor.reportFailure('nope')).toThrow(
      new TypeError(
        'reportFailure(): expected `name` to be one of the endpoints (primary, secondary), got `nope`',
      ),
    )
  })
})

describe('timers', () => {
  test('start() polls on its own and fails over within failureThreshold x interval + timeout', async () => {
    const primary = await startHealthStub()
    const secondary = await startHealthStub()
    const { monitor, events } = monitorFor([primary, secondary], {
      intervalMs: 150,
      timeoutMs: 100,
      failureThreshold: 3,
      jitter: 0.1,
    })
    await monitor.start()
    expect(monitor.running).toBe(true)
    expect(stateOf(monitor, 'primary').status).toBe('up')

    primary.behaviour.status = 503
    const started = Date.now()
    await waitFor(() => events.length > 0, 3000)
    // Up to one jittered interval until the next round, then 3 failing rounds: about 4 x 165 ms, with margin.
    expect(Date.now() - started).toBeLessThan(1200)
    expect(monitor.active.name).toBe('secondary')
  })

  test('stop() aborts probes in flight, leaves no timer or socket and stops polling', async () => {
    const primary = await startHealthStub({ hang: true })
    const secondary = await startHealthStub()
    const { monitor } = monitorFor([primary, secondary], { intervalMs: 100, timeoutMs: 80 })
    const timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

    void monitor.start()
    await waitFor(() => primary.methods.length > 0)
    expect(primary.pendingRequests()).toBe(1)

    const started = Date.now()
    await monitor.stop()
    expect(Date.now() - started).toBeLessThan(60)
    expect(monitor.running).toBe(false)
    expect(stateOf(monitor, 'primary')).toMatchObject({ status: 'unknown', consecutiveFailures: 0 })
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBeLessThanOrEqual(
      timersBefore,
    )
    await waitFor(() => primary.pendingRequests() === 0, 2000)

    const requests = primary.methods.length
    await sleep(300)
    expect(primary.methods.length).toBe(requests)
  })

  test('the monitor can be started again after stop()', async () => {
    const primary = await startHealthStub()
    const secondary = await startHealthStub()
    const { monitor } = monitorFor([primary, secondary], { intervalMs: 50, timeoutMs: 40 })
    await monitor.start()
    await monitor.stop()
    const count = primary.methods.length
    await monitor.start()
    await waitFor(() => primary.methods.length >= count + 2, 2000)
    await monitor.stop()
  })
})
