import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CheckOutcome } from '../types.js'
import { httpCheck } from './http.js'

interface Seen {
  method: string
  url: string
  authorization: string | undefined
  probe: string | undefined
}

let server: Server
let base: string
let seen: Seen[]
/** Resolves with the server side of a response when its connection goes away. */
let closed: Promise<void>
let markClosed: () => void

function handle(req: IncomingMessage, res: ServerResponse): void {
  seen.push({
    method: req.method ?? '',
    url: req.url ?? '',
    authorization: req.headers.authorization,
    probe: req.headers['x-probe'] as string | undefined,
  })
  res.on('close', () => markClosed())
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  if (path === '/ok') res.end('ok')
  else if (path === '/down') {
    res.statusCode = 503
    res.end('down')
  } else if (path === '/not-modified') {
    res.statusCode = 304
    res.end()
  } else if (path === '/redirect') {
    res.writeHead(302, { location: '/ok' }).end()
  } else if (path === '/stream') {
    // An endless body: the check must not wait for it, nor leave it flowing.
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    const chunk = Buffer.alloc(64 * 1024)
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) {}
      if (!res.destroyed) res.once('drain', pump)
    }
    pump()
  }
  // '/hang' never answers.
}

beforeEach(async () => {
  seen = []
  closed = new Promise((resolve) => {
    markClosed = resolve
  })
  server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** A port that was free a moment ago and has nothing listening on it now. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

const run = async (definition: ReturnType<typeof httpCheck>, signal = new AbortController().signal) =>
  (await definition.check(signal)) as CheckOutcome | undefined

describe('httpCheck', () => {
  it('passes on a 2xx answer', async () => {
    const definition = httpCheck({ url: `${base}/ok` })
    expect(definition).toMatchObject({ name: '127.0.0.1', critical: true, componentType: 'component' })
    const outcome = await run(definition)
    expect(outcome?.output).toBe(`GET ${base}/ok answered 200`)
    expect(seen).toEqual([expect.objectContaining({ method: 'GET', url: '/ok' })])
  })

  it('fails on a status outside `expect`', async () => {
    await expect(run(httpCheck({ url: `${base}/down` }))).rejects.toThrow(
      `GET ${base}/down answered 503, expected 200-299`,
    )
  })

  it('passes on any status `expect` lists, and takes a function', async () => {
    await expect(run(httpCheck({ url: `${base}/down`, expect: '200-299,503' }))).resolves.toMatchObject({
      output: `GET ${base}/down answered 503`,
    })
    await expect(run(httpCheck({ url: `${base}/not-modified`, expect: '2xx,304' }))).resolves.toBeDefined()
    await expect(run(httpCheck({ url: `${base}/ok`, expect: (status) => status === 204 }))).rejects.toThrow(
      'answered 200, expected a status accepted by `expect`',
    )
  })

  it('follows redirects before matching the status', async () => {
    await expect(run(httpCheck({ url: `${base}/redirect` }))).resolves.toMatchObject({
      output: `GET ${base}/redirect answered 200`,
    })
    expect(seen.map((s) => s.url)).toEqual(['/redirect', '/ok'])
  })

  it('sends HEAD and the given headers', async () => {
    await run(httpCheck({ url: `${base}/ok`, method: 'HEAD', headers: { 'X-Probe': 'healthgate' } }))
    expect(seen).toEqual([expect.objectContaining({ method: 'HEAD', probe: 'healthgate' })])
  })

  it('discards the response body instead of reading it', async () => {
    const started = performance.now()
    await expect(run(httpCheck({ url: `${base}/stream` }))).resolves.toMatchObject({
      output: expect.any(String),
    })
    expect(performance.now() - started).toBeLessThan(1000)
    // The connection is released rather than left streaming into a buffer.
    await closed
  })

  it('aborts a hanging request when its signal aborts', async () => {
    const controller = new AbortController()
    const reason = new Error('timed out after 100 ms')
    const timer = setTimeout(() => controller.abort(reason), 100)
    const started = performance.now()
    try {
      await expect(run(httpCheck({ url: `${base}/hang` }), controller.signal)).rejects.toBe(reason)
    } finally {
      clearTimeout(timer)
    }
    expect(performance.now() - started).toBeLessThan(300)
    expect(seen).toHaveLength(1)
    await closed
  })

  it('fails with the reason when nothing listens', async () => {
    const port = await closedPort()
    await expect(run(httpCheck({ url: `http://127.0.0.1:${port}/ok` }))).rejects.toThrow(
      `GET http://127.0.0.1:${port}/ok failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    )
  })

  it('sends URL credentials as Basic authentication and never shows them or the query', async () => {
    const definition = httpCheck({ url: `${base.replace('//', '//monitor:s3cr%40t@')}/down?token=abc#frag` })
    const error = await run(definition).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    expect(error?.message).toBe(`GET ${base}/down answered 503, expected 200-299`)
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('monitor:s3cr@t').toString('base64')}`)
    expect(seen[0]?.url).toBe('/down?token=abc')
  })

  it('sends malformed percent escapes in URL credentials as written', async () => {
    await run(httpCheck({ url: `${base.replace('//', '//us%zz:p@')}/ok` }))
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('us%zz:p').toString('base64')}`)
  })

  it('keeps an explicit Authorization header over URL credentials', async () => {
    await run(
      httpCheck({ url: `${base.replace('//', '//u:p@')}/ok`, headers: { Authorization: 'Bearer t' } }),
    )
    expect(seen[0]?.authorization).toBe('Bearer t')
  })

  it.each([
    [{}, /`url` to be an http: or https: URL, got undefined/],
    [{ url: 'not a url' }, /`url` to be an http: or https: URL, got the string "not a url"/],
    [{ url: 'ftp://user:secret@example.com/' }, /got the string "ftp:\/\/example.com\/"$/],
    [{ url: 'http://x', method: 'POST' }, /`method` to be one of 'GET', 'HEAD', got the string "POST"/],
    [{ url: 'http://x', expect: '2OO' }, /`expect` to be status codes, ranges or classes .* got `2OO`/],
    [
      { url: 'http://x', expect: 200 },
      /^httpCheck\(\): expected `expect` to be status codes, ranges or classes .* got `200`$/,
    ],
    [{ url: 'http://x', headers: 'x: y' }, /`headers` to be an object of header names to strings/],
    [{ url: 'http://x', headers: { 'x-n': 1 } }, /`headers.x-n` to be a string, got number 1/],
    [{ url: 'http://x', headers: { 'bad header': 'v' } }, /`headers` to be valid header names and values/],
    [{ url: 'http://x', timeoutMs: 0 }, /`timeoutMs` to be a positive number, got number 0/],
    [{ url: 'http://x', uri: 'http://y' }, /^httpCheck\(\): unknown option `uri`/],
  ])('rejects bad options %p', (options, message) => {
    expect(() => httpCheck(options as never)).toThrow(TypeError)
    expect(() => httpCheck(options as never)).toThrow(message)
  })

  it('accepts a URL object and a name', () => {
    expect(httpCheck({ url: new URL('https://api.example.com/health'), name: 'payments' }).name).toBe(
      'payments',
    )
    expect(httpCheck({ url: 'http://[::1]:8080/' }).name).toBe('1')
  })
})
