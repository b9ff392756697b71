/**
 * The fast path (attachHealth, the Fastify plugin's `fastPath`): every request outside the health routes
 * reaches the framework exactly as without it (routes, the framework's own 404 and body parsing), a health
 * request never does, probers are recorded as by the adapters, and a shutdown closes the connections of
 * fast-path requests in flight. The HTTP contract itself runs in conformance.test.ts (the `-fast` kinds).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { attachHealth, createHealth, defineCheck, type Health, installShutdown } from '@healthgate/core'
import { healthRouter } from '@healthgate/express'
import { healthgate } from '@healthgate/fastify'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { type Reply, type RequestOptions, request } from '../support/http.js'

const FRAMEWORKS = ['express5', 'express4', 'fastify'] as const
type Framework = (typeof FRAMEWORKS)[number]
/** How an app serves the health routes: not at all, the middleware/plugin, or the fast path. */
type Mode = 'none' | 'framework' | 'fast'

interface App {
  port: number
  server: http.Server
  /** Requests the framework saw (a middleware / an `onRequest` hook counts them). */
  seen: string[]
  close(): Promise<void>
}

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function makeHealth(options: Parameters<typeof createHealth>[0] = {}): Health {
  const health = createHealth(options)
  cleanups.push(() => health.close())
  return health
}

/** An app with a JSON route, a body-parsed POST and the framework's own 404 and error answers. */
async function startApp(framework: Framework, mode: Mode, health: Health): Promise<App> {
  const seen: string[] = []
  if (framework === 'fastify') {
    const app = Fastify()
    app.addHook('onRequest', (request, _reply, done) => {
      seen.push(`${request.method} ${request.url}`)
      done()
    })
    if (mode !== 'none')
      await app.register(healthgate, { health, closeHealth: false, fastPath: mode === 'fast' })
    app.get('/app', async (_request, reply) => reply.header('x-app', 'yes').send({ app: true }))
    app.post('/echo', async (request) => ({ received: request.body }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as AddressInfo).port
    return { port, server: app.server, seen, close: () => app.close() }
  }
  const app = framework === 'express5' ? express5() : express4()
  app.use((request, _response, next) => {
    seen.push(`${request.method} ${request.url}`)
    next()
  })
  if (mode === 'framework') app.use(healthRouter(health))
  app.use(express5.json())
  app.get('/app', (_request, response) => void response.set('x-app', 'yes').json({ app: true }))
  app.post('/echo', (request, response) => void response.json({ received: request.body }))
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  if (mode === 'fast') cleanups.push(attachHealth(server, health))
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return { port: (server.address() as AddressInfo).port, server, seen, close }
}

async function started(framework: Framework, mode: Mode, health: Health): Promise<App> {
  const app = await startApp(framework, mode, health)
  cleanups.push(() => app.close())
  return app
}

/** Everything but the date, which moves between two requests. */
function comparable(reply: Reply) {
  const { date: _date, ...headers } = reply.headers
  return { status: reply.status, headers, body: reply.body }
}

const APP_REQUESTS: Array<[name: string, path: string, options: RequestOptions]> = [
  ['an app route', '/app', {}],
  ['an app route, HEAD', '/app', { method: 'HEAD' }],
  ["the framework's 404", '/missing', {}],
  ["a path that only starts like the health path: the framework's 404", '/healthz', {}],
  ["a health path's twin under the app: the framework's 404", '/app/health', {}],
  [
    'a body-parsed POST',
    '/echo',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,"two"]}' },
  ],
  [
    'a body-parsed chunked POST',
    '/echo',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"b":2}', chunked: true },
  ],
  [
    "malformed JSON: the framework's 400",
    '/echo',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' },
  ],
  ["a method the app does not route: the framework's 404", '/app', { method: 'DELETE' }],
]

describe.each(FRAMEWORKS)('fast path on %s', (framework) => {
  it.each(APP_REQUESTS)('leaves %s exactly as without it', async (_name, path, options) => {
    const health = makeHealth()
    const without = await started(framework, 'none', health)
    const fast = await started(framework, 'fast', health)
    const expected = comparable(await request(without.port, path, options))
    const actual = comparable(await request(fast.port, path, options))
    expect(actual).toEqual(expected)
    // The framework saw it, the same way.
    expect(fast.seen).toEqual(without.seen)
    expect(fast.seen).toHaveLength(1)
  })

  it('answers the health routes before the framework, which never sees them', async () => {
    const health = makeHealth({ checks: [defineCheck('db', () => {})] })
    const app = await started(framework, 'fast', health)
    const replies = await Promise.all([
      request(app.port, '/health'),
      request(app.port, '/health/live', { method: 'HEAD' }),
      request(app.port, '/health/checks/db'),
      request(app.port, '/health/nope'),
      request(app.port, '/health/ready', { method: 'POST', body: '{}' }),
    ])
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 404, 405])
    expect(replies[1]?.body).toBe('')
    expect(replies[0]?.headers['content-type']).toBe('application/health+json; charset=utf-8')
    // Nothing of the framework: no X-Powered-By, no hook or middleware ran.
    expect(replies.map((reply) => reply.headers['x-powered-by'])).toEqual(Array(5).fill(undefined))
    expect(app.seen).toEqual([])
    await request(app.port, '/app')
    expect(app.seen).toEqual(['GET /app'])
  })

  it('answers 503 with Retry-After, as the framework mode does', async () => {
    const health = makeHealth({ checks: [defineCheck('db', () => Promise.reject(new Error('down')))] })
    const framed = await started(framework, 'framework', health)
    const fast = await started(framework, 'fast', health)
    const [inFramework, onFastPath] = [
      await request(framed.port, '/health'),
      await request(fast.port, '/health'),
    ]
    expect(onFastPath.status).toBe(503)
    expect(onFastPath.headers['retry-after']).toBe('5')
    expect([onFastPath.status, onFastPath.body]).toEqual([inFramework.status, inFramework.body])
  })

  it('records probers (remote address and User-Agent) as the framework mode does', async () => {
    const probers = { userAgents: ['ELB-HealthChecker'] }
    const inFramework = makeHealth({ probers })
    const onFastPath = makeHealth({ probers })
    const framed = await started(framework, 'framework', inFramework)
    const fast = await started(framework, 'fast', onFastPath)
    const headers = { 'user-agent': 'ELB-HealthChecker/2.0' }
    await request(framed.port, '/health', { headers })
    await request(fast.port, '/health', { headers })
    const ids = (health: Health) => health.drainStatus().probers.map(({ id, kind }) => ({ id, kind }))
    expect(ids(onFastPath)).toEqual([{ id: '127.0.0.1 ELB-HealthChecker/2.0', kind: 'matched' }])
    expect(ids(onFastPath)).toEqual(ids(inFramework))
  })
})

describe('the Fastify plugin with fastPath', () => {
  it('answers what Fastify would keep from its routes, and works with serverFactory', async () => {
    const health = makeHealth()
    const app = Fastify({
      serverFactory: (handler) => http.createServer((request, response) => handler(request, response)),
    })
    cleanups.push(() => app.close())
    await app.register(healthgate, { health, closeHealth: false, fastPath: true })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as AddressInfo).port
    const [propfind, badEncoding, probe] = await Promise.all([
      request(port, '/health', { method: 'PROPFIND' }),
      request(port, '/health/checks/%E0%A4%A'),
      request(port, '/health'),
    ])
    // Without the fast path: the app's 404 and Fastify's own 400 (docs/http.md).
    expect([propfind.status, propfind.headers.allow]).toEqual([405, 'GET, HEAD'])
    expect([badEncoding.status, badEncoding.headers['content-type']]).toEqual([
      400,
      'application/json; charset=utf-8',
    ])
    expect(JSON.parse(badEncoding.body)).not.toHaveProperty('code')
    expect(probe.status).toBe(200)
  })
})

describe('attachHealth and installShutdown', () => {
  /** Two checks that take 300 ms once started: each request to one is in flight while the shutdown starts. */
  const running: string[] = []
  const slowHealth = () => {
    running.length = 0
    const slow = (name: string) =>
      defineCheck(name, async () => {
        running.push(name)
        await new Promise<void>((resolve) => setTimeout(resolve, 300))
      })
    return makeHealth({ checks: [slow('a'), slow('b')] })
  }

  it.each([
    ['express5', 'installShutdown after attachHealth'],
    ['express5', 'installShutdown before attachHealth'],
    ['fastify', 'the plugin attached, then installShutdown with fastify.close()'],
  ] as const)('%s, %s: in-flight fast-path requests get `Connection: close`', async (framework, order) => {
    const health = slowHealth()
    let app: App
    let controller: ReturnType<typeof installShutdown>
    const exit = () => {}
    if (framework === 'fastify') {
      const fastify = Fastify()
      await fastify.register(healthgate, { health, closeHealth: false, fastPath: true })
      await fastify.listen({ port: 0, host: '127.0.0.1' })
      cleanups.push(() => fastify.close())
      app = {
        port: (fastify.server.address() as AddressInfo).port,
        server: fastify.server,
        seen: [],
        close: async () => {},
      }
      controller = installShutdown(health, {
        server: fastify.server,
        close: () => fastify.close(),
        signals: [],
        exit,
      })
    } else if (order.startsWith('installShutdown before')) {
      const server = express5().listen(0, '127.0.0.1')
      await new Promise<void>((resolve) => server.once('listening', resolve))
      cleanups.push(() => new Promise((resolve) => server.close(resolve)))
      controller = installShutdown(health, { server, signals: [], exit })
      cleanups.push(attachHealth(server, health))
      app = { port: (server.address() as AddressInfo).port, server, seen: [], close: async () => {} }
    } else {
      app = await started('express5', 'fast', health)
      controller = installShutdown(health, { server: app.server, signals: [], exit })
    }
    cleanups.push(() => controller.dispose())
    const agent = new http.Agent({ keepAlive: true })
    cleanups.push(() => agent.destroy())
    const inFlight = [
      request(app.port, '/health/checks/a', { agent }),
      request(app.port, '/health/checks/b', { agent }),
    ]
    // Both requests are in the server, waiting for their check (bounded: a test timeout ends it).
    while (running.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
    const result = await controller.shutdown()
    const replies = await Promise.all(inFlight)
    expect(replies.map((reply) => reply.headers.connection)).toEqual(['close', 'close'])
    expect(replies.map((reply) => reply.status)).toEqual([200, 200])
    expect(result).toMatchObject({ code: 0, forcedClose: false })
  })
})

describe('attachHealth', () => {
  it('detaches: the app gets every request again, its listeners in their order', async () => {
    const health = makeHealth()
    const order: string[] = []
    const server = http.createServer()
    const first = (_request: http.IncomingMessage, response: http.ServerResponse) => {
      order.push('first')
      response.end('app')
    }
    const second = () => order.push('second')
    server.on('request', first)
    server.on('request', second)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const port = (server.address() as AddressInfo).port
    const detach = attachHealth(server, health)
    expect(server.listeners('request')).toHaveLength(1)
    expect((await request(port, '/health')).status).toBe(200)
    expect(order).toEqual([])
    expect((await request(port, '/other')).body).toBe('app')
    expect(order).toEqual(['first', 'second'])
    detach()
    detach()
    expect(server.listeners('request')).toEqual([first, second])
    expect((await request(port, '/health')).body).toBe('app')
  })

  it('moves an app listener added after it behind the fast path', async () => {
    const health = makeHealth()
    const server = http.createServer()
    const detach = attachHealth(server, health, { path: '/_status' })
    cleanups.push(detach)
    const app = (_request: http.IncomingMessage, response: http.ServerResponse) => response.end('app')
    server.on('request', app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const port = (server.address() as AddressInfo).port
    // Answered once: the app listener would otherwise write a second answer on the same response.
    const health_ = await request(port, '/_status')
    expect([health_.status, health_.headers['content-type']]).toEqual([
      200,
      'application/health+json; charset=utf-8',
    ])
    expect((await request(port, '/health')).body).toBe('app')
    expect(server.listeners('request')).toHaveLength(1)
    detach()
    expect(server.listeners('request')).toEqual([app])
  })

  it("keeps a once('request') listener once-only, behind the fast path and after detaching", async () => {
    const health = makeHealth()
    const server = http.createServer((_request, response) => response.end('app'))
    const seen: string[] = []
    server.once('request', (request: http.IncomingMessage) => seen.push(`before ${request.url}`))
    const detach = attachHealth(server, health)
    cleanups.push(detach)
    server.once('request', (request: http.IncomingMessage) => seen.push(`after ${request.url}`))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const port = (server.address() as AddressInfo).port
    // A health request is the fast path's: the once listeners are still waiting for the app's first.
    expect((await request(port, '/health')).status).toBe(200)
    expect(seen).toEqual([])
    expect((await request(port, '/one')).body).toBe('app')
    expect((await request(port, '/two')).body).toBe('app')
    expect(seen).toEqual(['before /one', 'after /one'])
    // Detached before it fired, a once listener is put back as a once listener.
    server.once('request', (request: http.IncomingMessage) => seen.push(`again ${request.url}`))
    await Promise.resolve()
    detach()
    expect(server.listeners('request')).toHaveLength(2)
    expect((await request(port, '/three')).body).toBe('app')
    expect((await request(port, '/four')).body).toBe('app')
    expect(seen).toEqual(['before /one', 'after /one', 'again /three'])
    expect(server.listeners('request')).toHaveLength(1)
  })

  it('leaves the admin routes to another listener with adminRoutes: false', async () => {
    const health = makeHealth()
    const server = http.createServer((_request, response) => response.end('app'))
    cleanups.push(attachHealth(server, health, { adminRoutes: false, adminToken: 'a'.repeat(32) }))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const port = (server.address() as AddressInfo).port
    const headers = { authorization: `Bearer ${'a'.repeat(32)}` }
    expect((await request(port, '/health/maintenance', { headers })).status).toBe(404)
  })

  it('rejects a bad server or option with a TypeError naming it', () => {
    const health = makeHealth()
    expect(() => attachHealth({} as never, health)).toThrow(
      'attachHealth(): expected `server` to be a node:http server',
    )
    expect(() => attachHealth(http.createServer(), health, { pth: '/x' } as never)).toThrow(
      'attachHealth(): unknown option `pth`; did you mean `path`?',
    )
    expect(() => attachHealth(http.createServer(), {} as never)).toThrow(
      'attachHealth(): expected `health` to be a Health created by createHealth()',
    )
  })

  it("the Fastify plugin's fastPath option: a boolean, and a misspelling is named", async () => {
    const health = makeHealth()
    for (const [options, message] of [
      [{ fastPath: 'yes' }, 'healthgate plugin: expected `fastPath` to be a boolean, got the string "yes"'],
      [{ fastpath: true }, 'healthgate plugin: unknown option `fastpath`; did you mean `fastPath`?'],
    ] as const) {
      const app = Fastify()
      cleanups.push(() => app.close())
      await expect(app.register(healthgate, { health, ...(options as object) }).ready()).rejects.toThrow(
        message,
      )
    }
  })
})
