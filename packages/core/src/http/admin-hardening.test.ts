import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHandler } from '../handler.js'
import { createHealth, type Health } from '../health.js'
import { createAdminListener, createNodeListener } from '../node.js'
import { createAuthThrottle, MAX_THROTTLED_ADDRESSES } from './throttle.js'

const TOKEN = 'admin-hardening-t0ken'
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  jest.restoreAllMocks()
})

function makeHealth(): Health {
  const health = createHealth()
  cleanups.push(() => health.close())
  return health
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('admin token length', () => {
  it('refuses a 15-character token at startup, naming the setting but not the token', () => {
    const health = makeHealth()
    expect(() => createHandler(health, { adminToken: 'fifteen-chars-x' })).toThrow(
      'createHandler(): the admin token (`adminToken`) is 15 characters long; it must be at least 16',
    )
    const previous = process.env.HEALTHGATE_ADMIN_TOKEN
    process.env.HEALTHGATE_ADMIN_TOKEN = 's3cret'
    try {
      let message = ''
      try {
        createNodeListener(health)
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toContain('the admin token (HEALTHGATE_ADMIN_TOKEN) is 6 characters long')
      expect(message).not.toContain('s3cret')
    } finally {
      if (previous === undefined) delete process.env.HEALTHGATE_ADMIN_TOKEN
      else process.env.HEALTHGATE_ADMIN_TOKEN = previous
    }
    expect(() => createHandler(health, { adminToken: 'sixteen-chars-xx' })).not.toThrow()
    expect(() => createHandler(health, { adminToken: 'short', allowShortAdminToken: true })).not.toThrow()
  })
})

describe('failed-authentication throttling', () => {
  const maintenance = (
    handler: ReturnType<typeof createHandler>,
    address: string,
    token: string,
    method = 'GET',
  ) =>
    handler.handle({
      method,
      url: '/health/maintenance',
      headers: { authorization: `Bearer ${token}` },
      remoteAddress: address,
    })

  it('answers 429 with Retry-After after the failure budget, spares other addresses, and unblocks after the window', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
    const health = makeHealth()
    const handler = createHandler(health, {
      adminToken: TOKEN,
      authFailureLimit: 3,
      authFailureWindowMs: 1000,
    })
    for (let i = 0; i < 3; i++)
      expect((await maintenance(handler, '203.0.113.7', `guess-${i}`))?.status).toBe(401)
    const blocked = await maintenance(handler, '203.0.113.7', TOKEN)
    // Even the right token is not looked at while blocked.
    expect(blocked?.status).toBe(429)
    expect(Number(blocked?.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(Number(blocked?.headers['retry-after'])).toBeLessThanOrEqual(1)
    expect(
      (
        await handler.handle({
          method: 'GET',
          url: '/health/maintenance',
          headers: {},
          remoteAddress: '203.0.113.7',
        })
      )?.status,
    ).toBe(429)
    // Another address with the valid token is unaffected, and may change maintenance.
    expect((await maintenance(handler, '198.51.100.2', TOKEN, 'PUT'))?.status).toBe(200)
    expect(health.maintenanceStatus().enabled).toBe(true)
    expect((await maintenance(handler, '203.0.113.7', `guess-again`))?.status).toBe(429)

    const messages = warn.mock.calls.map((call) => String(call[0]))
    expect(messages.filter((message) => message.includes('203.0.113.7'))).toEqual([
      'healthgate: admin API: 203.0.113.7 blocked for 1 s after 3 failed authentication attempts',
    ])
    expect(messages).toContain('healthgate: maintenance on requested by 198.51.100.2')
    expect(messages.join('\n')).not.toContain(TOKEN)

    await sleep(1100)
    expect((await maintenance(handler, '203.0.113.7', TOKEN, 'DELETE'))?.status).toBe(200)
    expect(warn.mock.calls.map((call) => String(call[0]))).toContain(
      'healthgate: maintenance off requested by 203.0.113.7',
    )
  })

  it('keeps the table bounded under failures from many addresses', () => {
    jest.spyOn(console, 'warn').mockImplementation(() => {})
    const throttle = createAuthThrottle(3, 60_000)
    const now = performance.now()
    for (let i = 0; i < MAX_THROTTLED_ADDRESSES * 3; i++) throttle.failed(`2001:db8::${i.toString(16)}`, now)
    expect(throttle.size).toBeLessThanOrEqual(MAX_THROTTLED_ADDRESSES)
  })

  it('validates its options', () => {
    const health = makeHealth()
    expect(() => createHandler(health, { adminToken: TOKEN, authFailureLimit: 0 })).toThrow(
      'createHandler(): expected `authFailureLimit` to be a positive integer',
    )
    expect(() => createHandler(health, { adminToken: TOKEN, authFailureWindow: 5 } as never)).toThrow(
      'did you mean `authFailureWindowMs`?',
    )
  })
})

describe('a separate admin listener', () => {
  async function listen(listener: http.RequestListener): Promise<string> {
    const server = http.createServer(listener)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    )
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it('the public listener answers 404 to every admin route and method; the admin listener serves them', async () => {
    jest.spyOn(console, 'warn').mockImplementation(() => {})
    const health = makeHealth()
    const publicUrl = await listen(createNodeListener(health, { adminToken: TOKEN, adminRoutes: false }))
    const adminUrl = await listen(createAdminListener(health, { adminToken: TOKEN }))
    const auth = { authorization: `Bearer ${TOKEN}` }
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS']) {
      for (const path of ['/health/maintenance', '/health/maintenance/', '/health/maintenance?x=1']) {
        const response = await fetch(`${publicUrl}${path}`, { method, headers: auth })
        expect([method, path, response.status]).toEqual([method, path, 404])
        await response.arrayBuffer()
      }
    }
    expect(health.maintenanceStatus().enabled).toBe(false)
    // The public probes still work there, with details for the token.
    expect((await fetch(`${publicUrl}/health`)).status).toBe(200)

    const on = await fetch(`${adminUrl}/health/maintenance`, { method: 'PUT', headers: auth })
    expect(on.status).toBe(200)
    expect(await on.json()).toMatchObject({ enabled: true })
    expect((await fetch(`${adminUrl}/health/maintenance`, { headers: auth })).status).toBe(200)
    expect((await fetch(`${adminUrl}/health/maintenance`)).status).toBe(401)
    // Only the admin API there: the probe routes are the public listener's.
    expect((await fetch(`${adminUrl}/health`)).status).toBe(404)
    expect((await fetch(`${adminUrl}/health/ready`)).status).toBe(404)
    expect((await fetch(`${adminUrl}/health/maintenance`, { method: 'DELETE', headers: auth })).status).toBe(
      200,
    )
    expect(health.maintenanceStatus().enabled).toBe(false)
  })

  it('requires an admin token', () => {
    const health = makeHealth()
    const previous = process.env.HEALTHGATE_ADMIN_TOKEN
    delete process.env.HEALTHGATE_ADMIN_TOKEN
    try {
      expect(() => createAdminListener(health)).toThrow(
        'createAdminListener(): expected `adminToken` to be set',
      )
    } finally {
      if (previous !== undefined) process.env.HEALTHGATE_ADMIN_TOKEN = previous
    }
  })
})

describe('admin events through the logger', () => {
  it('logs each maintenance change and each blocked address once, with the address and never the token', async () => {
    const lines: Array<{ fields: Record<string, unknown>; message: string }> = []
    const record = (fields: object, message: string) =>
      lines.push({ fields: fields as Record<string, unknown>, message })
    const health = createHealth({ logger: { info: record, warn: record, error: record } })
    cleanups.push(() => health.close())
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
    const handler = createHandler(health, { adminToken: TOKEN, authFailureLimit: 2 })
    const send = (address: string, token: string, method: string) =>
      handler.handle({
        method,
        url: '/health/maintenance',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: method === 'PUT' ? '{"reason":"deploy 7"}' : undefined,
        remoteAddress: address,
      })
    expect((await send('198.51.100.9', TOKEN, 'PUT'))?.status).toBe(200)
    expect((await send('198.51.100.9', TOKEN, 'DELETE'))?.status).toBe(200)
    await send('203.0.113.9', 'wrong-token-1', 'GET')
    await send('203.0.113.9', 'wrong-token-2', 'GET')
    expect((await send('203.0.113.9', 'wrong-token-3', 'GET'))?.status).toBe(429)

    const admin = lines.filter((line) => 'admin' in line.fields)
    expect(admin.map((line) => line.message)).toEqual([
      'healthgate: maintenance on requested by 198.51.100.9 (reason: "deploy 7")',
      'healthgate: maintenance off requested by 198.51.100.9',
      'healthgate: admin API: 203.0.113.9 blocked for 60 s after 2 failed authentication attempts',
    ])
    expect(admin[0]?.fields).toMatchObject({ admin: 'maintenance-on', address: '198.51.100.9' })
    const everything = JSON.stringify(lines)
    expect(everything).not.toContain(TOKEN)
    expect(everything).not.toContain('wrong-token')
    // With a logger, nothing goes to the console.
    expect(warn).not.toHaveBeenCalled()
  })
})
