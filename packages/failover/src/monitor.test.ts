import { createFailover, type FailoverOptions } from './monitor.js'
import type { FetchLike } from './probe.js'

const endpoints = [
  { name: 'primary', healthUrl: 'http://127.0.0.1:1/_ping', connectUrl: 'wss://primary.example.com/primary' },
  {
    name: 'secondary',
    healthUrl: 'http://127.0.0.1:2/_ping',
    connectUrl: 'wss://secondary.example.com/secondary',
  },
]

const okFetch: FetchLike = async () => ({ status: 200, body: null })

function create(overrides: Partial<FailoverOptions>) {
  return createFailover({ endpoints, fetch: okFetch, ...overrides } as FailoverOptions)
}

describe('option validation', () => {
  test.each<[string, Partial<FailoverOptions> | Record<string, unknown>, string]>([
    [
      'too few endpoints',
      { endpoints: [endpoints[0]] },
      'Expected `endpoints` to be an array of at least two endpoints, got `1 endpoint(s)`',
    ],
    [
      'endpoints not an array',
      { endpoints: 'x' },
      'Expected `endpoints` to be an array of at least two endpoints, got `x`',
    ],
    [
      'endpoint not an object',
      { endpoints: [endpoints[0], null] },
      'Expected `endpoints[1]` to be an object, got `null`',
    ],
    [
      'empty name',
      { endpoints: [endpoints[0], { ...endpoints[1], name: '' }] },
      'Expected `endpoints[1].name` to be a non-empty string, got ``',
    ],
    [
      'duplicate names',
      { endpoints: [endpoints[0], { ...endpoints[1], name: 'primary' }] },
      'Expected `endpoints` names to be unique, got `primary` twice',
    ],
    [
      'unparsable healthUrl',
      { endpoints: [{ ...endpoints[0], healthUrl: 'not a url' }, endpoints[1]] },
      'Expected `endpoints[0].healthUrl` to be an http(s) URL, got `not a url`',
    ],
    [
      'non-http healthUrl',
      { endpoints: [endpoints[0], { ...endpoints[1], healthUrl: 'wss://x.example.com/' }] },
      'Expected `endpoints[1].healthUrl` to be an http(s) URL, got `wss://x.example.com/`',
    ],
    [
      'unparsable connectUrl',
      { endpoints: [endpoints[0], { ...endpoints[1], connectUrl: '/relative' }] },
      'Expected `endpoints[1].connectUrl` to be a URL, got `/relative`',
    ],
    ['negative interval', { intervalMs: -1 }, 'Expected `intervalMs` to be a positive number, got `-1`'],
    ['NaN interval', { intervalMs: Number.NaN }, 'Expected `intervalMs` to be a positive number, got `NaN`'],
    ['zero timeout', { timeoutMs: 0 }, 'Expected `timeoutMs` to be a positive number, got `0`'],
    [
      'timeout not below interval',
      { intervalMs: 1000, timeoutMs: 1000 },
      'Expected `timeoutMs` to be below `intervalMs` (1000), got `1000`',
    ],
    [
      'fractional failureThreshold',
      { failureThreshold: 1.5 },
      'Expected `failureThreshold` to be a positive integer, got `1.5`',
    ],
    [
      'zero successThreshold',
      { successThreshold: 0 },
      'Expected `successThreshold` to be a positive integer, got `0`',
    ],
    ['bad method', { method: 'POST' }, 'Expected `method` to be `HEAD` or `GET`, got `POST`'],
    [
      'bad expect',
      { expect: '2xx' },
      'Expected `expect` to be status codes (100-599) or ranges like `200-299,304`, got `2xx`',
    ],
    ['bad failback', { failback: 'yes' }, 'Expected `failback` to be a boolean, got `yes`'],
    ['bad jitter', { jitter: 1 }, 'Expected `jitter` to be a number from 0 up to (not including) 1, got `1`'],
    [
      'bad fetch',
      { fetch: 'fetch' },
      'Expected `fetch` to be a function (this runtime has no global fetch), got `fetch`',
    ],
  ])('%s', (_, overrides, message) => {
    expect(() => create(overrides as Partial<FailoverOptions>)).toThrow(new TypeError(message))
  })

  test('the default timeout is min(2000, intervalMs / 2), so a short interval needs no explicit timeout', () => {
    expect(() => create({ intervalMs: 100 })).not.toThrow()
    expect(() => create({ intervalMs: 100, timeoutMs: 60 })).not.toThrow()
  })

  test('URL objects are accepted', () => {
    const monitor = create({
      endpoints: endpoints.map((endpoint) => ({ ...endpoint, healthUrl: new URL(endpoint.healthUrl) })),
    })
    expect(monitor.snapshot().endpoints[0]?.healthUrl).toBe('http://127.0.0.1:1/_ping')
  })
})

describe('with an injected fetch', () => {
  test('the initial state: primary active, every endpoint unknown, not running', () => {
    const monitor = create({})
    expect(monitor.active).toEqual({
      name: 'primary',
      connectUrl: 'wss://primary.example.com/primary',
      since: expect.any(String),
    })
    const snapshot = monitor.snapshot()
    expect(snapshot).toMatchObject({ allDown: false, running: false })
    expect(
      snapshot.endpoints.map(({ name, status, active, priority, method }) => ({
        name,
        status,
        active,
        priority,
        method,
      })),
    ).toEqual([
      { name: 'primary', status: 'unknown', active: true, priority: 0, method: 'HEAD' },
      { name: 'secondary', status: 'unknown', active: false, priority: 1, method: 'HEAD' },
    ])
  })

  test('the probe requests the health URL without following redirects and without a cache', async () => {
    const calls: Array<[string, unknown]> = []
    const monitor = create({
      method: 'GET',
      fetch: async (url, init) => {
        calls.push([url, { method: init.method, redirect: init.redirect, cache: init.cache }])
        return { status: 200, body: null }
      },
    })
    await monitor.tick()
    expect(calls).toEqual([
      ['http://127.0.0.1:1/_ping', { method: 'GET', redirect: 'manual', cache: 'no-store' }],
    ])
  })

  test('a fetch that ignores the abort signal still fails at timeoutMs', async () => {
    const monitor = create({ intervalMs: 1000, timeoutMs: 100, fetch: () => new Promise(() => {}) })
    const started = Date.now()
    const snapshot = await monitor.tick()
    expect(Date.now() - started).toBeLessThan(400)
    expect(snapshot.endpoints[0]).toMatchObject({ status: 'down', lastError: 'timed out after 100 ms' })
  })

  test('the body of every response is cancelled', async () => {
    let cancelled = 0
    const monitor = create({
      fetch: async () => ({ status: 200, body: { cancel: async () => void cancelled++ } }),
    })
    await monitor.tick()
    expect(cancelled).toBe(1)
  })

  test('an opaque redirect (browsers) passes when expect accepts redirects, fails when it does not', async () => {
    const opaque: FetchLike = async () => ({ status: 0, type: 'opaqueredirect', body: null })
    const lenient = create({ fetch: opaque })
    expect((await lenient.tick()).endpoints[0]?.status).toBe('up')
    const strict = create({ fetch: opaque, expect: '200-299' })
    expect((await strict.tick()).endpoints[0]).toMatchObject({
      status: 'down',
      lastError: 'redirect (expected 200-299)',
    })
  })

  test('a non-Error rejection is reported as text', async () => {
    const monitor = create({ fetch: () => Promise.reject('offline') })
    expect((await monitor.tick()).endpoints[0]).toMatchObject({ status: 'down', lastError: 'offline' })
  })

  test('onChange rejects a non-function', () => {
    const monitor = create({})
    expect(() => monitor.onChange('x' as never)).toThrow(
      new TypeError('Expected `listener` to be a function, got `string`'),
    )
  })

  test('the same function subscribed twice is called twice and disposed independently', async () => {
    let failing = true
    const monitor = create({
      failureThreshold: 1,
      fetch: async (url) => ({ status: failing && url.includes(':1/') ? 503 : 200, body: null }),
    })
    const seen: string[] = []
    const listener = () => seen.push('x')
    const off = monitor.onChange(listener)
    monitor.onChange(listener)
    await monitor.tick()
    expect(seen).toHaveLength(2)
    off()
    failing = false
    await monitor.tick()
    await monitor.tick()
    expect(seen).toHaveLength(3)
  })
})
