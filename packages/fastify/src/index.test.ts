import type { AddressInfo } from 'node:net'
import { createHealth, type Health } from '@healthgate/core'
import Fastify, { type FastifyInstance } from 'fastify'
import healthgateDefault, { type HealthgateOptions, healthgate, tuneForLoadBalancer } from './index.js'

const TOKEN = 'fastify-test-admin-t0ken'

interface Answer {
  statusCode: number
  headers: Record<string, string>
  body: string
  json(): unknown
}

/**
 * A request over a real socket. `fastify.inject` is not usable here: light-my-request loads the ESM-only
 * `cookie` package, which Jest cannot require on Node 20.
 */
async function send(
  instance: FastifyInstance,
  options: { method: string; url: string; headers?: Record<string, string>; payload?: string | object },
): Promise<Answer> {
  if (!instance.server.listening) await instance.listen({ port: 0, host: '127.0.0.1' })
  const { port } = instance.server.address() as AddressInfo
  const { payload } = options
  const headers: Record<string, string> = { ...options.headers }
  if (typeof payload === 'object') headers['content-type'] ??= 'application/json'
  const response = await fetch(`http://127.0.0.1:${port}${options.url}`, {
    method: options.method,
    headers,
    ...(payload === undefined
      ? {}
      : { body: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  })
  const body = await response.text()
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers),
    body,
    json: () => JSON.parse(body),
  }
}

let health: Health
let app: FastifyInstance
beforeEach(() => {
  health = createHealth({ checks: [{ name: 'db', check: async () => undefined }] })
  app = Fastify()
})
afterEach(async () => {
  await app.close()
  await health.close()
})

describe('@healthgate/fastify', () => {
  it('serves the health routes and decorates fastify.health', async () => {
    await app.register(healthgate, { health })
    const ready = await send(app, { method: 'GET', url: '/health' })
    expect(ready.statusCode).toBe(200)
    expect(ready.headers['content-type']).toBe('application/health+json; charset=utf-8')
    expect(ready.json()).toEqual({ status: 'pass', checks: { 'db:responseTime': [{ status: 'pass' }] } })
    expect(app.health).toBe(health)
    expect(healthgateDefault).toBe(healthgate)
  })

  it('answers HEAD with the core handler, not an automatic HEAD route', async () => {
    await app.register(healthgate, { health })
    const get = await send(app, { method: 'GET', url: '/health/checks/db' })
    const head = await send(app, { method: 'HEAD', url: '/health/checks/db' })
    expect(head.statusCode).toBe(200)
    expect(head.body).toBe('')
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)))
    expect(head.headers['cache-control']).toBe('no-store')
  })

  it('serves a custom path', async () => {
    await app.register(healthgate, { health, path: '/_status' })
    expect((await send(app, { method: 'GET', url: '/_status/live' })).statusCode).toBe(200)
    expect((await send(app, { method: 'GET', url: '/health' })).statusCode).toBe(404)
  })

  it('serves the path under the prefix of the scope it is registered in', async () => {
    await app.register(
      async (api) => {
        await api.register(healthgate, { health })
        api.get('/items', async () => ['a'])
      },
      { prefix: '/api' },
    )
    expect((await send(app, { method: 'GET', url: '/api/health/ready' })).statusCode).toBe(200)
    expect((await send(app, { method: 'GET', url: '/api/items' })).json()).toEqual(['a'])
    expect((await send(app, { method: 'GET', url: '/health' })).statusCode).toBe(404)
  })

  it("keeps its body parser out of the app's routes", async () => {
    await app.register(healthgate, { health, adminToken: TOKEN })
    app.post('/echo', async (request) => ({ received: request.body }))
    const parsed = await send(app, { method: 'POST', url: '/echo', payload: { a: 1 } })
    expect(parsed.json()).toEqual({ received: { a: 1 } })
    const unsupported = await send(app, {
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/x-unknown' },
      payload: 'x',
    })
    expect(unsupported.statusCode).toBe(415)
    const malformed = await send(app, {
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    })
    expect(malformed.statusCode).toBe(400)
    // Fastify's own error shape (not the core's `{ status, error }`); its `code` field is newer than 5.0.
    expect(malformed.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' })
  })

  it("gives the core the raw body: malformed JSON gets the core's 400 and state is unchanged", async () => {
    await app.register(healthgate, { health, adminToken: TOKEN })
    const response = await send(app, {
      method: 'PUT',
      url: '/health/maintenance',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: '{"reason":',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ status: 400, error: 'Body is not valid JSON' })
    expect(health.maintenance.enabled).toBe(false)
    const entered = await send(app, {
      method: 'PUT',
      url: '/health/maintenance',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: { reason: 'deploy 1.4.2' },
    })
    expect(entered.statusCode).toBe(200)
    expect(health.maintenance).toMatchObject({ enabled: true, reason: 'deploy 1.4.2' })
  })

  it("answers a body over the core's limit with the core's 413, not Fastify's", async () => {
    await app.register(healthgate, { health, adminToken: TOKEN })
    const response = await send(app, {
      method: 'PUT',
      url: '/health/maintenance',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: `{"reason":"x"}${' '.repeat(2 * 1024 * 1024)}`,
    })
    expect(response.statusCode).toBe(413)
    expect(response.json()).toEqual({ status: 413, error: 'Body exceeds 4096 bytes' })
  })

  it("runs the app's hooks on the health routes", async () => {
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('x-app-hook', 'ran')
    })
    await app.register(healthgate, { health })
    const response = await send(app, { method: 'GET', url: '/health' })
    expect(response.headers['x-app-hook']).toBe('ran')
  })

  // Guards the plugin's pass-through reply serializer (a per-request saving measured by `pnpm bench`, not
  // observable here): the body must still reach onSend hooks and the client exactly as the core built it.
  it("sends the core's body as it is through the app's onSend hooks and reply serializer", async () => {
    const seen: unknown[] = []
    app.setReplySerializer(() => 'serialised by the app')
    app.addHook('onSend', async (_request, _reply, payload) => {
      seen.push(payload)
      return payload
    })
    await app.register(healthgate, { health })
    const response = await send(app, { method: 'GET', url: '/health' })
    expect(response.json()).toEqual({ status: 'pass', checks: { 'db:responseTime': [{ status: 'pass' }] } })
    expect(seen).toEqual([response.body])
    expect(response.headers['content-type']).toBe('application/health+json; charset=utf-8')
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.body)))
  })

  it('closes the health when Fastify closes', async () => {
    await app.register(healthgate, { health })
    await app.ready()
    await app.close()
    expect(health.state).toBe('stopped')
  })

  it('leaves the health open with closeHealth: false', async () => {
    await app.register(healthgate, { health, closeHealth: false })
    await app.ready()
    await app.close()
    expect(health.state).not.toBe('stopped')
  })

  it('serves everything under path "/"', async () => {
    await app.register(healthgate, { health, path: '/' })
    app.get('/app', async () => 'app')
    expect((await send(app, { method: 'GET', url: '/' })).statusCode).toBe(200)
    expect((await send(app, { method: 'GET', url: '/live' })).statusCode).toBe(200)
    expect((await send(app, { method: 'GET', url: '/app' })).body).toBe('app')
  })

  it.each([
    [
      'health is missing',
      () => ({}),
      /^healthgate plugin: expected `health` to be a Health created by createHealth\(\)/,
    ],
    [
      'path is not a path',
      () => ({ health, path: 'health' }),
      /^healthgate plugin: expected `path` to be a URL path/,
    ],
    ['path has a route parameter', () => ({ health, path: '/:id' }), /^healthgate plugin: expected `path`/],
    [
      'closeHealth is not a boolean',
      () => ({ health, closeHealth: 'yes' }),
      /^healthgate plugin: expected `closeHealth`/,
    ],
    [
      'details is unknown',
      () => ({ health, details: 'sometimes' }),
      /^healthgate plugin: expected `details`/,
    ],
    [
      'retryAfterSeconds is not positive',
      () => ({ health, retryAfterSeconds: -1 }),
      /^healthgate plugin: expected `retryAfterSeconds` to be a positive integer/,
    ],
    [
      'the option is the old name of `path`',
      () => ({ health, prefix: '/_status' }),
      'healthgate plugin: unknown option `prefix`; Known options: health, closeHealth, shutdown, fastPath, path, details, adminToken, retryAfterSeconds, adminRoutes, allowShortAdminToken, authFailureLimit, authFailureWindowMs',
    ],
    [
      'the option is misspelt',
      () => ({ health, closeHealt: false }),
      /unknown option `closeHealt`; did you mean `closeHealth`\?/,
    ],
  ])('rejects bad options with a TypeError naming them: %s', async (_name, options, message) => {
    const register = app.register(healthgate, options() as unknown as HealthgateOptions)
    await expect(register).rejects.toThrow(TypeError)
    await expect(app.ready()).rejects.toThrow(message)
  })

  it('re-exports tuneForLoadBalancer', () => {
    expect(tuneForLoadBalancer(app.server).headersTimeout).toBe(66_000)
  })
})

describe('logging', () => {
  test('transitions are logged through fastify.log when the health has no logger', async () => {
    const lines: Record<string, unknown>[] = []
    const stream = { write: (line: string) => lines.push(JSON.parse(line)) }
    const app = Fastify({ logger: { level: 'info', stream } })
    let up = true
    const health = createHealth({
      checks: [
        {
          name: 'db',
          cacheTtlMs: 1,
          check: async () => {
            if (!up) throw new Error('connection refused')
          },
        },
      ],
    })
    await app.register(healthgate, { health })
    try {
      await health.evaluate()
      up = false
      await new Promise((resolve) => setTimeout(resolve, 5))
      await health.evaluate()
      const transitions = lines.filter((line) => line.check === 'db')
      expect(transitions.map((line) => [line.level, line.from, line.to])).toEqual([
        [30, null, 'pass'],
        [40, 'pass', 'fail'],
      ])
      expect(transitions[1]).toMatchObject({
        output: 'connection refused',
        msg: 'healthgate: check "db" pass -> fail',
      })
    } finally {
      await app.close()
    }
  })
})
