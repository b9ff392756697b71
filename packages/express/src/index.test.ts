import { createHealth, type Health } from '@healthgate/core'
import express, { type ErrorRequestHandler } from 'express'
import express4 from 'express4'
import request from 'supertest'
import { healthRouter, tuneForLoadBalancer } from './index.js'

const TOKEN = 'express-test-admin-t0ken'
const AUTH = `Bearer ${TOKEN}`

let health: Health
beforeEach(() => {
  health = createHealth({ checks: [{ name: 'db', check: async () => undefined }] })
})
afterEach(() => health.close())

describe.each([
  ['Express 5', express],
  ['Express 4', express4 as unknown as typeof express],
])('healthRouter on %s', (_name, createApp) => {
  it('serves the health routes and passes everything else on', async () => {
    const app = createApp()
    app.use(healthRouter(health))
    app.get('/', (_request, response) => void response.send('home'))
    const ready = await request(app).get('/health')
    expect(ready.status).toBe(200)
    expect(ready.headers['content-type']).toBe('application/health+json; charset=utf-8')
    expect(JSON.parse(ready.text)).toEqual({
      status: 'pass',
      checks: { 'db:responseTime': [{ status: 'pass' }] },
    })
    expect((await request(app).get('/')).text).toBe('home')
    expect((await request(app).get('/nope')).status).toBe(404)
  })

  it('matches the full path when mounted under the same path', async () => {
    const app = createApp()
    app.use('/health', healthRouter(health))
    expect((await request(app).get('/health')).status).toBe(200)
    expect((await request(app).get('/health/live')).status).toBe(200)
    expect((await request(app).get('/health/nope')).status).toBe(404)
    expect((await request(app).get('/health/nope')).body).toEqual({ status: 404, error: 'Not found' })
  })

  it('serves a mount path given as the full path under a mounted router', async () => {
    const app = createApp()
    const api = createApp.Router()
    api.use(healthRouter(health, { path: '/api/health' }))
    app.use('/api', api)
    expect((await request(app).get('/api/health/ready')).status).toBe(200)
    expect((await request(app).get('/health')).status).toBe(404)
  })

  it('reads the body a body parser mounted before it already consumed', async () => {
    const app = createApp()
    app.use(createApp.json())
    app.use(healthRouter(health, { adminToken: TOKEN }))
    const response = await request(app)
      .put('/health/maintenance')
      .set('authorization', AUTH)
      .send({ reason: 'deploy 1.4.2' })
    expect(response.status).toBe(200)
    expect(health.maintenance).toMatchObject({ enabled: true, reason: 'deploy 1.4.2' })

    const rejected = await request(app)
      .put('/health/maintenance')
      .set('authorization', AUTH)
      .send({ reason: 5 })
    expect(rejected.status).toBe(400)
    expect(rejected.body.error).toBe('Expected `reason` to be a string, got number 5')
    expect(health.maintenance.reason).toBe('deploy 1.4.2')
  })

  it('reads text and raw bodies a body parser consumed', async () => {
    const app = createApp()
    app.use(
      '/health/maintenance',
      createApp.text({ type: 'text/plain' }),
      createApp.raw({ type: 'application/octet-stream' }),
    )
    app.use(healthRouter(health, { adminToken: TOKEN }))
    const text = await request(app)
      .put('/health/maintenance')
      .set('authorization', AUTH)
      .set('content-type', 'text/plain')
      .send('{"reason":"from text"}')
    expect(text.status).toBe(200)
    expect(health.maintenance.reason).toBe('from text')
    const raw = await request(app)
      .put('/health/maintenance')
      .set('authorization', AUTH)
      .set('content-type', 'application/octet-stream')
      .send(Buffer.from('{"reason":"from raw"}'))
    expect(raw.status).toBe(200)
    expect(health.maintenance.reason).toBe('from raw')
  })

  it('hands an unexpected failure to the app error handler', async () => {
    jest.spyOn(health, 'evaluate').mockRejectedValue(new Error('boom'))
    const app = createApp()
    app.use(healthRouter(health))
    const seen: unknown[] = []
    const onError: ErrorRequestHandler = (error, _request, response, _next) => {
      seen.push(error)
      response.status(500).send('app error handler')
    }
    app.use(onError)
    const response = await request(app).get('/health')
    expect(response.status).toBe(500)
    expect(response.text).toBe('app error handler')
    expect(seen).toHaveLength(1)
  })
})

describe('healthRouter', () => {
  it('warns once when mounted where its path can never match', async () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    try {
      const app = express()
      app.use('/api', healthRouter(health))
      app.use((_request, response) => void response.status(404).send('app 404'))
      expect((await request(app).get('/api/health')).text).toBe('app 404')
      await request(app).get('/api/other')
      expect(warn).toHaveBeenCalledTimes(1)
      expect(String(warn.mock.calls[0]?.[0])).toContain('"/api/health"')
    } finally {
      warn.mockRestore()
    }
  })

  it('does not warn when mounted at its own path', async () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    try {
      const app = express()
      app.use('/health', healthRouter(health))
      expect((await request(app).get('/health')).status).toBe(200)
      expect(warn).not.toHaveBeenCalled()
    } finally {
      warn.mockRestore()
    }
  })

  it('exposes its core handler and rejects bad options with a TypeError naming them', () => {
    expect(healthRouter(health, { path: '/_status' }).handler.path).toBe('/_status')
    expect(() => healthRouter(health, { path: 'health' })).toThrow(
      /^healthRouter\(\): expected `path` to be a URL path starting with '\/'/,
    )
    expect(() => healthRouter(health, { retryAfterSeconds: 0 })).toThrow(
      /^healthRouter\(\): expected `retryAfterSeconds` to be a positive integer/,
    )
    expect(() => healthRouter(undefined as unknown as Health)).toThrow(
      /^healthRouter\(\): expected `health` to be a Health created by createHealth\(\)/,
    )
    expect(() => healthRouter(health, { prefix: '/health' } as never)).toThrow(
      new TypeError(
        'healthRouter(): unknown option `prefix`; Known options: path, details, adminToken, retryAfterSeconds, adminRoutes, allowShortAdminToken, authFailureLimit, authFailureWindowMs',
      ),
    )
    expect(() => healthRouter(health, { detail: 'never' } as never)).toThrow(
      /^healthRouter\(\): unknown option `detail`; did you mean `details`\?/,
    )
  })

  it('re-exports tuneForLoadBalancer', () => {
    const server = { keepAliveTimeout: 5000, headersTimeout: 60_000 }
    expect(tuneForLoadBalancer(server).keepAliveTimeout).toBe(65_000)
  })
})
