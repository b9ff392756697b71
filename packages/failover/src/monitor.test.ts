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
      'expected `endpoints` to be an array of at least two endpoints, got an array',
    ],
    [
      'endpoints not an array',
      { endpoints: 'x' },
      'expected `endpoints` to be an array of at least two endpoints, got the string "x"',
    ],
    [
      'endpoint not an object',
      { endpoints: [endpoints[0], null] },
      'expected `endpoints[1]` to be an object, got null',
    ],
    [
      'empty name',
      { endpoints: [endpoints[0], { ...endpoints[1], name: '' }] },
      'expected `endpoints[1].name` to be a non-empty string, got the string ""',
    ],
    [
      'duplicate names',
      { endpoints: [endpoints[0], { ...endpoints[1], name: 'primary' }] },
      'expected `endpoints[1].name` to be unique among the endpoints, got the string "primary"',
    ],
    [
      'misspelt endpoint key',
      { endpoints: [endpoints[0], { ...endpoints[1], healthURL: 'http://x/' }] },
      'unknown option `endpoints[1].healthURL`; did you mean `endpoints[1].healthUrl`? Known options: endpoints[1].name, endpoints[1].healthUrl, endpoints[1].connectUrl',
    ],
    [
      'unparsable healthUrl',
      { endpoints: [{ ...endpoints[0], healthUrl: 'not a url' }, endpoints[1]] },
      'expected `endpoints[0].healthUrl` to be an http(s) URL, got the string "not a url"',
    ],
    [
      'non-http healthUrl',
      { endpoints: [endpoints[0], { ...endpoints[1], healthUrl: 'wss://x.example.com/' }] },
      'expected `endpoints[1].healthUrl` to be an http(s) URL, got the string "wss://x.example.com/"',
    ],
    [
      'unparsable connectUrl',
      { endpoints: [endpoints[0], { ...endpoints[1], connectUrl: '/relative' }] },
      'expected `endpoints[1].connectUrl` to be a URL, got the string "/relative"',
    ],
    ['negative interval', { intervalMs: -1 }, 'expected `intervalMs` to be a positive number, got number -1'],
    [
      'NaN interval',
      { intervalMs: Number.NaN },
      'expected `intervalMs` to be a positive number, got number NaN',
    ],
    ['zero timeout', { timeoutMs: 0 }, 'expected `timeoutMs` to be a positive number, got number 0'],
    [
      'timeout not below interval',
      { intervalMs: 1000, timeoutMs: 1000 },
      'expected `timeoutMs` to be below `intervalMs` (1000), got number 1000',
    ],
    [
      'fractional failureThreshold',
      { failureThreshold: 1.5 },
      'expected `failureThreshold` to be a positive integer, got number 1.5',
    ],
    [
      'zero successThreshold',
      { successThreshold: 0 },
      'expected `successThreshold` to be a positive integer, got number 0',
    ],
    [
      'bad method',
      { method: 'POST' },
      `expected \`method\` to be one of 'HEAD', 'GET', got the string "POST"`,
    ],
    [
      'bad expect',
      { expect: '2xy' },
      'expected `expect` to be status codes, ranges or classes such as `200-299,304` or `2xx`, got `2xy`: cannot read `2xy`',
    ],
    ['bad failback', { failback: 'yes' }, 'expected `failback` to be a boolean, got the string "yes"'],
    [
      'bad jitter',
      { jitter: 1 },
      'expected `jitter` to be a number from 0 up to (not including) 1, got number 1',
    ],
    [
      'bad fetch',
      { fetch: 'fetch' },
      'expected `fetch` to be a function (this runtime has no global fetch), got the string "fetch"',
    ],
    ['bad onError', { onError: 'log' }, 'expected `onError` to be a function, got the string "log"'],
    [
      'the old name of onError',
      { onListenerError: () => {} },
      'unknown option `onListenerError`; Known options: endpoints, intervalMs, timeoutMs, failureThreshold, successThreshold, method, expect, failback, jitter, fetch, onError',
    ],
  ])('%s', (_, overrides, message) => {
    expect(() => create(overrides as Partial<FailoverOptions>)).toThrow(
      new TypeError(`createFailover(): ${message}`),
    )
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
    expect(Date.now() - started).toBeLessThan(100 + 700) // the deadline, with a margin a busy machine holds
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
      new TypeError('Expected a listener function, got string'),
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
