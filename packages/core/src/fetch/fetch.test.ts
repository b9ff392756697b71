import { createHealth, type Health } from '../health.js'
import { createFetchHandler, toHealthRequest } from './index.js'

const TOKEN = 'fetch-handler-t0ken'
let health: Health
beforeEach(() => {
  health = createHealth({ checks: [{ name: 'db', check: async () => undefined }], defaultCacheTtlMs: 60_000 })
})
afterEach(() => health.close())

const get = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://127.0.0.1:8080${path}`, { headers })

describe('createFetchHandler', () => {
  it('answers a cached probe synchronously, with the pre-serialised body and the contract headers', async () => {
    const serve = createFetchHandler(health)
    const first = serve(get('/health/ready'))
    expect(first).toBeInstanceOf(Promise)
    expect((await first).status).toBe(200)
    const cached = serve(get('/health/ready'))
    expect(cached).toBeInstanceOf(Response)
    const response = cached as Response
    const body = await response.text()
    expect(JSON.parse(body)).toEqual({ status: 'pass', checks: { 'db:responseTime': [{ status: 'pass' }] } })
    expect(response.headers.get('content-type')).toBe('application/health+json; charset=utf-8')
    expect(response.headers.get('content-length')).toBe(String(body.length))
  })

  it('answers HEAD without a body but with the GET body length', async () => {
    const serve = createFetchHandler(health)
    const asGet = await (await serve(get('/health/live'))).text()
    const head = await serve(new Request('http://127.0.0.1/health/live', { method: 'HEAD' }))
    expect(head.body).toBeNull()
    expect(head.headers.get('content-length')).toBe(String(asGet.length))
  })

  it('hands other paths to info.next, else answers a plain 404; respond() gives undefined for them', async () => {
    const serve = createFetchHandler(health)
    const app = new Response('app', { status: 201 })
    expect(await serve(get('/orders'), { next: () => app })).toBe(app)
    const fallback = await serve(get('/orders'))
    expect([fallback.status, await fallback.text()]).toEqual([404, 'Not Found'])
    expect(serve.respond(get('/healthz'))).toBeUndefined()
  })

  it('feeds the caller address to drain confirmation', async () => {
    const serve = createFetchHandler(health, { adminToken: TOKEN })
    await health.enterMaintenance('deploy')
    const probe = await serve(get('/health/ready', { 'user-agent': 'kube-probe/1.31' }), {
      remoteAddress: '10.0.0.7',
    })
    expect(probe.status).toBe(503)
    expect(health.drainStatus().probers.map((prober) => prober.id)).toEqual(['10.0.0.7 kube-probe/1.31'])
  })

  it('reads the maintenance reason from the request body stream', async () => {
    const serve = createFetchHandler(health, { adminToken: TOKEN })
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined)
    const response = await serve(
      new Request('http://127.0.0.1/health/maintenance', {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'deploy 1.4.2' }),
      }),
    )
    expect(response.status).toBe(200)
    expect(health.maintenance).toMatchObject({ enabled: true, reason: 'deploy 1.4.2' })
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('maintenance on requested'))
    warn.mockRestore()
  })

  it('passes the request target and lower-case header lookups to the core', () => {
    const request = toHealthRequest(
      new Request('https://example.com:8443/health/ready?exclude=db', { headers: { 'User-Agent': 'x/1' } }),
    )
    expect(request.url).toBe('/health/ready?exclude=db')
    expect(request.headers['user-agent']).toBe('x/1')
    expect(request.headers.authorization).toBeUndefined()
  })

  it('rejects a misspelt option under its own name', () => {
    expect(() => createFetchHandler(health, { pth: '/h' } as never)).toThrow(
      'createFetchHandler(): unknown option `pth`; did you mean `path`?',
    )
  })
})
