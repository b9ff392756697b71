import { createHandler } from './handler.js'
import { createHealth, type Health } from './health.js'

let health: Health
beforeEach(() => {
  health = createHealth({
    version: '1',
    serviceId: 'orders',
    checks: [
      { name: 'db', cacheTtlMs: 60_000, check: async () => ({ observedValue: 3, observedUnit: 'ms' }) },
      {
        name: 'cache',
        cacheTtlMs: 60_000,
        critical: false,
        check: async () => ({ status: 'warn', output: 'slow' }),
      },
    ],
  })
})
afterEach(() => health.close())

const get = (url: string, headers: Record<string, string> = {}) => ({ method: 'GET', url, headers })

describe('createHandler', () => {
  it('answers synchronously from the cached report and with a promise when a check has to run', async () => {
    const handler = createHandler(health)
    const first = handler.respond(get('/health'))
    // Nothing cached yet: the checks run.
    expect(first).toBeInstanceOf(Promise)
    const answered = await first
    const cached = handler.respond(get('/health'))
    expect(cached).not.toBeInstanceOf(Promise)
    expect(cached).toBe(answered)
    expect(handler.respond({ method: 'HEAD', url: '/health', headers: {} })).toMatchObject({
      status: 200,
      body: '',
    })
    // Outside the mount path and refused requests need no promise either.
    expect(handler.respond(get('/orders'))).toBeUndefined()
    expect(handler.respond({ method: 'POST', url: '/health', headers: {} })).toMatchObject({ status: 405 })
    // Maintenance invalidates the cached report: the next answer is the 503, then served from cache.
    await health.enterMaintenance()
    const draining = await handler.handle(get('/health'))
    expect(draining).toMatchObject({ status: 503 })
    expect(handler.respond(get('/health'))).toBe(draining)
  })

  it('turns a failure inside respond() into a rejected promise, never a throw', async () => {
    const handler = createHandler(health)
    const hostile = {
      get method(): string {
        throw new Error('boom')
      },
      url: '/health',
      headers: {},
    }
    const result = handler.respond(hostile)
    expect(result).toBeInstanceOf(Promise)
    await expect(result).rejects.toThrow('boom')
    await expect(handler.handle(hostile)).rejects.toThrow('boom')
  })

  it('reuses the rendered body of an unchanged report instead of re-serialising it', async () => {
    const handler = createHandler(health)
    const first = await handler.handle(get('/health'))
    const second = await handler.handle(get('/health/ready?x=1'))
    expect(first?.status).toBe(200)
    expect(second).toBe(first)
    await health.enterMaintenance()
    const third = await handler.handle(get('/health'))
    expect(third?.status).toBe(503)
    expect(third?.headers['retry-after']).toBe('5')
  })

  it('renders statuses only for anonymous callers and everything for the admin token', async () => {
    const handler = createHandler(health, { adminToken: 'secret-token-0123456789' })
    const anonymous = JSON.parse((await handler.handle(get('/health')))?.body ?? '')
    expect(anonymous).toEqual({
      status: 'warn',
      checks: { 'db:responseTime': [{ status: 'pass' }], 'cache:responseTime': [{ status: 'warn' }] },
    })
    const detailed = JSON.parse(
      (await handler.handle(get('/health', { authorization: 'Bearer secret-token-0123456789' })))?.body ?? '',
    )
    expect(detailed.version).toBe('1')
    expect(detailed.serviceId).toBe('orders')
    expect(detailed.checks['db:responseTime'][0]).toMatchObject({
      componentType: 'component',
      observedValue: 3,
      observedUnit: 'ms',
      status: 'pass',
    })
    expect(detailed.checks['cache:responseTime'][0].output).toBe('slow')
    const wrong = JSON.parse(
      (await handler.handle(get('/health', { authorization: 'Bearer nope' })))?.body ?? '',
    )
    expect(wrong).toEqual(anonymous)
  })

  it('answers HEAD with the GET headers and no body', async () => {
    const handler = createHandler(health)
    const head = await handler.handle({ method: 'HEAD', url: '/health/live', headers: {} })
    const full = await handler.handle(get('/health/live'))
    expect(head?.body).toBe('')
    expect(head?.headers).toEqual(full?.headers)
    expect(Number(head?.headers['content-length'])).toBe(Buffer.byteLength(full?.body ?? ''))
  })

  it('passes on paths outside the mount and matches trailing slashes and absolute targets', async () => {
    const handler = createHandler(health, { path: '/_status/' })
    expect(await handler.handle(get('/healthz'))).toBeUndefined()
    expect(await handler.handle(get('/_statusx'))).toBeUndefined()
    expect((await handler.handle(get('/_status/')))?.status).toBe(200)
    expect((await handler.handle(get('/_status/ready/')))?.status).toBe(200)
    expect((await handler.handle(get('http://example.test/_status/live')))?.status).toBe(200)
    expect((await handler.handle(get('/_status/nope')))?.status).toBe(404)
  })

  it('counts readiness answers per prober for drain confirmation', async () => {
    const handler = createHandler(health)
    const probe = { method: 'GET', url: '/health/ready', remoteAddress: '10.0.0.9' }
    await handler.handle({ ...probe, headers: { 'user-agent': 'ELB-HealthChecker/2.0' } })
    await health.enterMaintenance()
    await handler.handle({ ...probe, headers: { 'user-agent': 'ELB-HealthChecker/2.0' } })
    await handler.handle({ ...probe, headers: { 'user-agent': 'ELB-HealthChecker/2.0' } })
    expect(health.drainStatus()).toMatchObject({
      drained: true,
      probers: [{ id: '10.0.0.9 ELB-HealthChecker/2.0', consecutive503: 2 }],
    })
  })

  it('tells probers apart when they alternate, by address and by User-Agent', async () => {
    const handler = createHandler(health)
    const probes = [
      { remoteAddress: '10.0.0.1', headers: { 'user-agent': 'ELB-HealthChecker/2.0' } },
      { remoteAddress: '10.0.0.2', headers: { 'user-agent': 'ELB-HealthChecker/2.0' } },
      { remoteAddress: '10.0.0.1', headers: { 'user-agent': 'kube-probe/1.31' } },
      { remoteAddress: '10.0.0.1', headers: {} },
      { remoteAddress: undefined, headers: { 'user-agent': ['HAProxy', 'other'] } },
    ]
    for (const round of [1, 2]) {
      for (const probe of probes) {
        const url = round === 1 ? '/health' : '/health/ready'
        await handler.handle({ method: 'GET', url, ...probe })
      }
    }
    expect(
      health
        .drainStatus()
        .probers.map((p) => p.id)
        .sort(),
    ).toEqual([
      // '10.0.0.1' without a User-Agent asked twice only: a one-off, not a balancer.
      '10.0.0.1 ELB-HealthChecker/2.0',
      '10.0.0.1 kube-probe/1.31',
      '10.0.0.2 ELB-HealthChecker/2.0',
      'unknown HAProxy',
    ])
  })

  it('answers HEAD without a body on error routes too', async () => {
    const handler = createHandler(health, { adminToken: 'secret-token-0123456789' })
    const missing = await handler.handle({ method: 'HEAD', url: '/health/nope', headers: {} })
    const unauthorized = await handler.handle({ method: 'HEAD', url: '/health/maintenance', headers: {} })
    expect(missing?.status).toBe(404)
    expect(unauthorized?.status).toBe(405)
    expect(missing?.body).toBe('')
    expect(unauthorized?.body).toBe('')
    expect(Number(missing?.headers['content-length'])).toBeGreaterThan(0)
  })

  it('answers 400 when the admin body stream fails, and leaves maintenance alone', async () => {
    const handler = createHandler(health, { adminToken: 'secret-token-0123456789' })
    async function* aborted(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"reason":')
      throw new Error('aborted')
    }
    const response = await handler.handle({
      method: 'PUT',
      url: '/health/maintenance',
      headers: { authorization: 'Bearer secret-token-0123456789' },
      body: aborted(),
    })
    expect(response?.status).toBe(400)
    expect(JSON.parse(response?.body ?? '')).toEqual({
      status: 400,
      error: 'Could not read the request body',
    })
    expect(health.maintenance.enabled).toBe(false)
  })

  it('validates its options in the one format', () => {
    expect(() => createHandler(health, { path: 'health' })).toThrow(
      new TypeError(
        'createHandler(): expected `path` to be a URL path starting with \'/\', got the string "health"',
      ),
    )
    expect(() => createHandler(health, { details: 'sometimes' as never })).toThrow(
      /^createHandler\(\): expected `details` to be one of 'never', 'authorized', 'always'/,
    )
    expect(() => createHandler(health, { adminToken: '' })).toThrow(
      /^createHandler\(\): expected `adminToken`/,
    )
    expect(() => createHandler(health, { retryAfterSeconds: 0 })).toThrow(
      /^createHandler\(\): expected `retryAfterSeconds` to be a positive integer/,
    )
    expect(() => createHandler(health, { token: 'secret' } as never)).toThrow(
      new TypeError(
        'createHandler(): unknown option `token`; did you mean `adminToken`? ' +
          'Known options: path, details, adminToken, retryAfterSeconds, adminRoutes, allowShortAdminToken, authFailureLimit, authFailureWindowMs',
      ),
    )
    expect(() => createHandler(health, null as never)).toThrow(/^createHandler\(\): expected the options/)
    expect(() => createHandler({} as never)).toThrow(
      /^createHandler\(\): expected `health` to be a Health created by createHealth\(\)/,
    )
  })
})
