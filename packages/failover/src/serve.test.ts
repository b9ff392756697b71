import { createFailover, type FailoverMonitor } from './monitor.js'
import { type ActiveServer, serveActive } from './serve.js'

let primaryStatus = 200
const monitor: FailoverMonitor = createFailover({
  endpoints: [
    {
      name: 'primary',
      healthUrl: 'http://127.0.0.1:1/_ping',
      connectUrl: 'wss://primary.example.com/primary',
    },
    {
      name: 'secondary',
      healthUrl: 'http://127.0.0.1:2/_ping',
      connectUrl: 'wss://secondary.example.com/secondary',
    },
  ],
  failureThreshold: 1,
  fetch: async (url) => ({ status: url.includes(':1/') ? primaryStatus : 200, body: null }),
})

let served: ActiveServer | undefined

afterEach(async () => {
  await served?.close()
  served = undefined
  await monitor.stop()
})

describe('serveActive', () => {
  test('GET /active answers the active endpoint as JSON, uncached, and follows switches', async () => {
    served = await serveActive({ monitor, port: 0 })
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    const first = await fetch(`${served.url}/active`)
    expect(first.status).toBe(200)
    expect(first.headers.get('cache-control')).toBe('no-store')
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await first.json()).toEqual({
      name: 'primary',
      url: 'wss://primary.example.com/primary',
      since: monitor.active.since,
      allDown: false,
    })

    primaryStatus = 503
    await monitor.tick()
    const second = await fetch(`${served.url}/active?fresh=1`)
    expect(await second.json()).toMatchObject({
      name: 'secondary',
      url: 'wss://secondary.example.com/secondary',
    })
    primaryStatus = 200
  })

  test('HEAD /active answers 200 without a body', async () => {
    served = await serveActive({ monitor, port: 0 })
    const response = await fetch(`${served.url}/active`, { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })

  test('other paths answer 404 and other methods 405 with Allow', async () => {
    served = await serveActive({ monitor, port: 0 })
    const missing = await fetch(`${served.url}/`)
    expect(missing.status).toBe(404)
    await missing.body?.cancel()
    const post = await fetch(`${served.url}/active`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    await post.body?.cancel()
  })

  test('close() is idempotent and frees the port', async () => {
    served = await serveActive({ monitor, port: 0 })
    const { url } = served
    await Promise.all([served.close(), served.close()])
    await expect(fetch(`${url}/active`)).rejects.toThrow('fetch failed')
  })

  test('a port in use rejects', async () => {
    served = await serveActive({ monitor, port: 0 })
    const port = Number(new URL(served.url).port)
    await expect(serveActive({ monitor, port })).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })

  test.each([
    [{ monitor, port: -1 }, 'serveActive(): expected `port` to be an integer from 0 to 65535, got number -1'],
    [
      { monitor, port: 1.5 },
      'serveActive(): expected `port` to be an integer from 0 to 65535, got number 1.5',
    ],
    [
      { monitor, port: 0, host: '' },
      'serveActive(): expected `host` to be a non-empty string, got the string ""',
    ],
    [
      { monitor: undefined, port: 0 },
      'serveActive(): expected `monitor` to be a failover monitor, got undefined',
    ],
    [
      { monitor, port: 0, hostname: '::1' },
      'serveActive(): unknown option `hostname`; did you mean `host`? Known options: monitor, port, host',
    ],
  ])('rejects bad options %#', async (options, message) => {
    await expect(serveActive(options as never)).rejects.toThrow(new TypeError(message))
  })
})
