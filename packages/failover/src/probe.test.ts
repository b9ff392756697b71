import { parseStatusMatcher } from '@healthgate/core/primitives'
import {
  describeError,
  type FetchLike,
  isProbeTimeoutError,
  type ProbeOptions,
  ProbeTimeoutError,
  probeHealth,
} from './probe.js'

const base = (fetch: FetchLike, overrides: Partial<ProbeOptions> = {}): ProbeOptions => ({
  method: 'HEAD',
  timeoutMs: 200,
  accepts: parseStatusMatcher('200-399'),
  fetch,
  ...overrides,
})

describe('probeHealth', () => {
  test('a healthy answer reports status, duration and method', async () => {
    const result = await probeHealth(
      'http://127.0.0.1:1/',
      base(async () => ({ status: 204, body: null })),
    )
    expect(result).toEqual({ ok: true, status: 204, durationMs: expect.any(Number), method: 'HEAD' })
  })

  test('HEAD falls back to GET on 405 and the result names the method that answered', async () => {
    const methods: string[] = []
    const result = await probeHealth(
      'http://127.0.0.1:1/',
      base(async (_, init) => {
        methods.push(init.method)
        return { status: init.method === 'HEAD' ? 405 : 200, body: null }
      }),
    )
    expect(methods).toEqual(['HEAD', 'GET'])
    expect(result).toMatchObject({ ok: true, status: 200, method: 'GET' })
  })

  test('an aborted external signal rejects with its reason instead of reporting a failure', async () => {
    const controller = new AbortController()
    const pending = probeHealth(
      'http://127.0.0.1:1/',
      base(
        (_, init) =>
          new Promise((_resolve, reject) =>
            init.signal.addEventListener('abort', () => reject(new Error('aborted'))),
          ),
        {
          signal: controller.signal,
        },
      ),
    )
    controller.abort(new Error('stopping'))
    await expect(pending).rejects.toThrow('stopping')
  })

  test('a fetch that ignores the abort signal still fails at timeoutMs', async () => {
    const started = Date.now()
    const result = await probeHealth(
      'http://127.0.0.1:1/',
      base(() => new Promise(() => {}), { timeoutMs: 100 }),
    )
    expect(Date.now() - started).toBeLessThan(100 + 700) // the deadline, with a margin a busy machine holds
    expect(result).toMatchObject({ ok: false, error: 'timed out after 100 ms' })
    expect(result.status).toBeUndefined()
  })

  test('the body of every response is cancelled, including the 405 that triggered the GET retry', async () => {
    let cancelled = 0
    const body = { cancel: async () => void cancelled++ }
    await probeHealth(
      'http://127.0.0.1:1/',
      base(async (_, init) => ({ status: init.method === 'HEAD' ? 405 : 200, body })),
    )
    expect(cancelled).toBe(2)
  })

  test('an opaque redirect (browsers) passes when expect accepts redirects, fails when it does not', async () => {
    const opaque: FetchLike = async () => ({ status: 0, type: 'opaqueredirect', body: null })
    expect(await probeHealth('http://127.0.0.1:1/', base(opaque))).toMatchObject({ ok: true })
    expect(
      await probeHealth('http://127.0.0.1:1/', base(opaque, { accepts: parseStatusMatcher('200-299') })),
    ).toMatchObject({
      ok: false,
      error: 'redirect (expected 200-299)',
    })
  })

  test('a non-Error rejection is reported as text, an error cause code is appended', async () => {
    expect(
      await probeHealth(
        'http://127.0.0.1:1/',
        base(() => Promise.reject('offline')),
      ),
    ).toMatchObject({
      ok: false,
      error: 'offline',
    })
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
    expect(
      await probeHealth(
        'http://127.0.0.1:1/',
        base(() => Promise.reject(refused)),
      ),
    ).toMatchObject({
      error: 'fetch failed (ECONNREFUSED)',
    })
  })
})

test('isProbeTimeoutError recognises the error by name as well as by class', () => {
  expect(isProbeTimeoutError(new ProbeTimeoutError(5))).toBe(true)
  expect(isProbeTimeoutError(Object.assign(new Error('x'), { name: 'ProbeTimeoutError' }))).toBe(true)
  expect(isProbeTimeoutError(new Error('x'))).toBe(false)
  expect(new ProbeTimeoutError(5).message).toBe('timed out after 5 ms')
})

describe('describeError', () => {
  it('names what fetch wrapped in a generic "fetch failed"', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    })
    expect(describeError(refused)).toBe('fetch failed (ECONNREFUSED)')
    expect(describeError(new TypeError('fetch failed', { cause: new Error('bad port') }))).toBe(
      'fetch failed (bad port)',
    )
    expect(describeError(new Error('plain'))).toBe('plain')
    expect(describeError('text')).toBe('text')
  })
})
