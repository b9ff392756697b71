import { createHealth, type Health } from '@healthgate/core'
import { Hono } from 'hono'
import { healthgate } from './index.js'

let health: Health
beforeEach(() => {
  health = createHealth({ checks: [{ name: 'db', check: async () => undefined }] })
})
afterEach(() => health.close())

const PROBE = { headers: { 'user-agent': 'kube-probe/1.31' } }

function appWith(options?: Parameters<typeof healthgate>[1]): Hono {
  const app = new Hono()
  app.use(healthgate(health, options))
  app.get('/', (c) => c.text('app'))
  return app
}

/** The prober ids drain confirmation saw after one probe in maintenance, with the given bindings. */
async function proberIds(app: Hono, env: unknown): Promise<string[]> {
  await health.enterMaintenance('deploy')
  const response = await app.request('/health/ready', PROBE, env as never)
  expect(response.status).toBe(503)
  return health.drainStatus().probers.map((prober) => prober.id)
}

describe('healthgate (Hono middleware)', () => {
  it('answers the health routes and passes the rest on to the app', async () => {
    const app = appWith()
    const ready = await app.request('/health/ready')
    expect([ready.status, ready.headers.get('content-type')]).toEqual([
      200,
      'application/health+json; charset=utf-8',
    ])
    const root = await app.request('/')
    expect([root.status, await root.text()]).toEqual([200, 'app'])
    expect((await app.request('/nope')).status).toBe(404)
  })

  it('reads the caller address from @hono/node-server bindings', async () => {
    const env = { incoming: { socket: { remoteAddress: '10.0.0.1' } } }
    expect(await proberIds(appWith(), env)).toEqual(['10.0.0.1 kube-probe/1.31'])
  })

  it('reads the caller address from a Bun server', async () => {
    const env = {
      requestIP: (request: Request) => (request instanceof Request ? { address: '10.0.0.2' } : null),
    }
    expect(await proberIds(appWith(), env)).toEqual(['10.0.0.2 kube-probe/1.31'])
  })

  it('reads the caller address from Deno.serve handler info', async () => {
    const env = { remoteAddr: { hostname: '10.0.0.3', port: 4000, transport: 'tcp' } }
    expect(await proberIds(appWith(), env)).toEqual(['10.0.0.3 kube-probe/1.31'])
  })

  it('takes the address from the remoteAddress option when given', async () => {
    const app = appWith({ remoteAddress: (c) => c.req.header('x-test-address') })
    await health.enterMaintenance('deploy')
    await app.request('/health/ready', { headers: { ...PROBE.headers, 'x-test-address': '10.0.0.4' } })
    expect(health.drainStatus().probers.map((prober) => prober.id)).toEqual(['10.0.0.4 kube-probe/1.31'])
  })

  it('tells probers apart by User-Agent only without bindings', async () => {
    expect(await proberIds(appWith(), undefined)).toEqual(['unknown kube-probe/1.31'])
  })

  it('reads a maintenance body that a middleware before it already parsed through Hono', async () => {
    const token = 't'.repeat(32)
    const app = new Hono()
    const parsed: unknown[] = []
    app.use(async (c, next) => {
      if (c.req.method === 'PUT') parsed.push(await c.req.json())
      await next()
    })
    app.use(healthgate(health, { adminToken: token }))
    const put = (body: string) =>
      app.request('/health/maintenance', {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      })
    const on = await put('{"reason":"deploy 1.4.2"}')
    expect(on.status).toBe(200)
    expect(parsed).toEqual([{ reason: 'deploy 1.4.2' }])
    expect(health.maintenance).toMatchObject({ enabled: true, reason: 'deploy 1.4.2' })
    // The core's own rules still apply to the cached copy: an unknown field is a 400, state unchanged.
    const bad = await put('{"reason":"other","extra":1}')
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([
      400,
      'Unknown field "extra"; only "reason" and "force" are accepted',
    ])
    expect(health.maintenance).toMatchObject({ enabled: true, reason: 'deploy 1.4.2' })
  })

  it('rejects a remoteAddress that is not a function', () => {
    expect(() => healthgate(health, { remoteAddress: '10.0.0.1' } as never)).toThrow(
      'healthgate(): expected `remoteAddress` to be a function',
    )
  })
})
