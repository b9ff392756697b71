import net from 'node:net'
import { createHandler, createHealth, type Health, type HealthHandler } from '@healthgate/core'
import type { HealthRequest } from '@healthgate/core/adapter'
import fc from 'fast-check'
import { type Child, startChild } from './support/child.js'

// Fixed seeds: a failure is reproducible, and the printed counterexample replays with the same seed.
const SEED = 20_240_611
const HANDLER_RUNS = 20_000
const ADMIN_RUNS = 5000
const RAW_RUNS = 1000
const TOKEN = 'reliability-admin-token'
const ANSWERS = [200, 400, 401, 404, 405, 413, 503]

type Body = HealthRequest['body']

let health: Health
let handler: HealthHandler
let server: Child | undefined
const tried = { handler: 0, admin: 0, raw: 0, changes: 0 }

beforeEach(() => {
  health = createHealth({
    checks: [
      { name: 'db', check: async () => {} },
      {
        name: 'cache',
        critical: false,
        check: async () => {
          throw new Error('cache down at redis://user:secret@10.0.0.1:6379')
        },
      },
    ],
  })
  // Thousands of wrong tokens from one address: the throttling would answer 429 to the valid ones too, and
  // this suite is about what each request does, not about the failure budget (tested in admin-hardening).
  handler = createHandler(health, { adminToken: TOKEN, authFailureLimit: Number.MAX_SAFE_INTEGER })
})

afterEach(async () => {
  await health.close()
  await server?.stop()
  server = undefined
})

afterAll(() => {
  console.log(
    `bad input: ${tried.handler} random requests and ${tried.admin} admin requests against the core handler ` +
      `(${tried.changes} of them changed maintenance), ${tried.raw} raw byte streams against node:http (seed ${SEED})`,
  )
})

// --- generators --------------------------------------------------------------------------------------

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  // Lone surrogates: not valid Unicode, yet a JavaScript string can hold them.
  fc.constantFrom(
    '\uD800',
    'a\uDFFFb',
    '\uDBFF\uDBFF',
    '%',
    '%E0%A4%A',
    '%00',
    '%2F',
    '..',
    '\r\n',
    '\u0000',
  ),
)

const method = fc.oneof(
  fc.constantFrom(
    'GET',
    'HEAD',
    'PUT',
    'DELETE',
    'POST',
    'PATCH',
    'OPTIONS',
    'TRACE',
    'CONNECT',
    'get',
    'Put',
    'dElEtE',
    '',
  ),
  anyText,
)

const route = fc.constantFrom(
  '/health',
  '/health/',
  '/health/ready',
  '/health/live',
  '/health/startup',
  '/health/maintenance',
  '/health/maintenance/',
  '/health/checks/db',
  '/health/checks/cache',
  '/health/checks/',
  '/health/checks/db/extra',
  '/health//ready',
  '//health',
  '/health/../health',
  'http://example.test/health/ready',
  'HTTP://[::1]:8080/health/maintenance',
  '*',
  '',
)

const path = fc.oneof(
  { weight: 3, arbitrary: route },
  {
    weight: 2,
    arbitrary: fc.array(anyText, { maxLength: 4 }).map((segments) => `/health/${segments.join('/')}`),
  },
  {
    weight: 1,
    arbitrary: fc.array(anyText, { maxLength: 3 }).map((segments) => `/health/checks/${segments.join('')}`),
  },
  { weight: 1, arbitrary: anyText },
)

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    'exclude=db',
    'exclude=cache',
    'exclude=db,cache',
    'exclude=nope',
    'exclude=',
    'exclude=%',
    '&&',
    '=',
    '?',
  ),
  fc
    .array(fc.tuple(anyText, anyText), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  fc.string({ unit: 'binary-ascii', minLength: 2000, maxLength: 6000 }).map((value) => `exclude=${value}`),
)

const authorization = fc.oneof(
  fc.constantFrom(
    `Bearer ${TOKEN}`,
    `bearer ${TOKEN}`,
    `Bearer\t${TOKEN}  `,
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.slice(1)}`,
    `Bearer  ${TOKEN} extra`,
    `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
    'Bearer',
    'Bearer ',
    '',
  ),
  anyText.map((value) => `Bearer ${value}`),
  anyText,
  fc.array(fc.constantFrom(`Bearer ${TOKEN}`, 'Bearer nope', ''), { maxLength: 3 }),
)

const headerValue: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  anyText,
  fc.array(anyText, { maxLength: 3 }),
  fc.constant(undefined),
)

const headers = fc
  .record(
    {
      authorization,
      'content-length': fc.oneof(
        fc.constantFrom('0', '-1', '4096', '4097', '1e9', 'NaN', ' 12 ', '0x10'),
        anyText,
      ),
      'content-type': fc.oneof(
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1'),
        anyText,
      ),
      'user-agent': headerValue,
      host: headerValue,
    },
    { requiredKeys: [] },
  )
  .chain((known) =>
    fc
      .dictionary(anyText, headerValue, { maxKeys: 5 })
      .map((extra) => ({ ...extra, ...known }) as HealthRequest['headers']),
  )

const deepJson = fc
  .integer({ min: 1, max: 5000 })
  .chain((depth) =>
    fc.constantFrom(
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
      `${'{"reason":'.repeat(depth)}1${'}'.repeat(depth)}`,
    ),
  )

const jsonBody = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.anything().map((value) => JSON.stringify({ reason: value }) ?? 'undefined'),
  fc.string({ unit: 'binary', maxLength: 300 }).map((reason) => JSON.stringify({ reason })),
  fc.constantFrom(
    '{"reason":"deploy\\u0000"}',
    '{"reason":"line\\nbreak"}',
    '{"reason":"\\ud800"}',
    '{"reason":"ok","other":1}',
    '{"__proto__":{"polluted":true}}',
    '{"reason":null}',
    '{"reason":["a"]}',
    '[]',
    'null',
    '"text"',
    '{',
  ),
  deepJson,
)

async function* chunks(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part
}

const body: fc.Arbitrary<Body> = fc.oneof(
  fc.constantFrom(undefined, null, ''),
  anyText,
  jsonBody,
  // Random bytes: mostly invalid UTF-8.
  fc.uint8Array({ maxLength: 600 }),
  fc.constantFrom(
    Uint8Array.from([0xc3, 0x28]),
    Uint8Array.from([0xed, 0xa0, 0x80]),
    Uint8Array.from([0xff, 0xfe, 0xfd]),
  ),
  // Huge: past the 4 KiB limit, as a string, as bytes and as a stream.
  fc.integer({ min: 4097, max: 2 * 1024 * 1024 }).map((size) => 'a'.repeat(size)),
  fc.integer({ min: 4097, max: 200_000 }).map((size) => new Uint8Array(size).fill(0x7b)),
  fc
    .array(fc.uint8Array({ minLength: 1, maxLength: 64 * 1024 }), { maxLength: 40 })
    .map((parts) => chunks(parts) as AsyncIterable<Uint8Array>),
)

const request: fc.Arbitrary<HealthRequest> = fc.record(
  {
    method,
    url: fc.tuple(path, query, fc.boolean()).map(([p, q, withQuery]) => (withQuery ? `${p}?${q}` : p)),
    headers,
    body,
    remoteAddress: fc.oneof(fc.constantFrom('127.0.0.1', '::1', '::ffff:10.0.0.1'), anyText),
  },
  { requiredKeys: ['method', 'url', 'headers'] },
)

// --- oracles -----------------------------------------------------------------------------------------

/** RFC 6750: the `Bearer` scheme (any case) and exactly the token. The first value counts when repeated. */
function carriesToken(headers: HealthRequest['headers']): boolean {
  const header = headers.authorization
  const value = Array.isArray(header) ? header[0] : header
  const match = typeof value === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value) : null
  return match?.[1] === TOKEN
}

function isMaintenanceRoute(url: string): boolean {
  const target = url.split('?')[0] ?? ''
  const pathname = target.startsWith('/')
    ? target
    : (/^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(target)?.[1] ?? '')
  return pathname === '/health/maintenance' || pathname === '/health/maintenance/'
}

const maintenanceKey = (target: Health): string => {
  const { enabled, reason } = target.maintenance
  return JSON.stringify({ enabled, reason })
}

/** Sends one request and checks every property a response must have, whatever the request was. */
async function exercise(input: HealthRequest): Promise<void> {
  const before = maintenanceKey(health)
  const response = await handler.handle(input)
  const changed = maintenanceKey(health) !== before
  if (changed) tried.changes++
  if (response) {
    expect(ANSWERS).toContain(response.status)
    // HEAD of a health report has no body. (Error answers to HEAD carry their JSON body: node:http and
    // Fastify drop it on the wire.)
    const head = input.method.toUpperCase() === 'HEAD'
    const report = response.headers['content-type']?.startsWith('application/health+json') === true
    if (head && report) expect(response.body).toBe('')
    else if (!head) {
      expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body))
      // Every body is JSON, and none leaks a stack trace or the credentials in the failing check's error.
      expect(() => JSON.parse(response.body)).not.toThrow()
      expect(response.body).not.toMatch(/\n\s+at |secret/)
    }
  } else {
    // Only paths outside the mount path are passed on.
    const target = input.url.split('?')[0] ?? ''
    expect(target === '/health' || target.startsWith('/health/')).toBe(false)
  }
  if (changed) {
    // Maintenance changes only on a valid, authorized PUT or DELETE of the maintenance route.
    expect(['PUT', 'DELETE']).toContain(input.method.toUpperCase())
    expect(isMaintenanceRoute(input.url)).toBe(true)
    expect(carriesToken(input.headers)).toBe(true)
    expect(response?.status).toBe(200)
  }
  if (health.maintenance.enabled) await health.leaveMaintenance()
}

// --- properties --------------------------------------------------------------------------------------

test(`the core handler survives ${HANDLER_RUNS} random requests: no 500, no throw, no unauthorized change`, async () => {
  await fc.assert(
    fc.asyncProperty(request, async (input) => {
      tried.handler++
      await exercise(input)
    }),
    { seed: SEED, numRuns: HANDLER_RUNS },
  )
}, 120_000)

test(`maintenance changes exactly on valid authorized requests (${ADMIN_RUNS} admin requests)`, async () => {
  // Printable ASCII: a reason the handler must accept.
  const validReason = fc.string({ unit: 'grapheme-ascii', maxLength: 50 })
  const adminRequest = fc.record({
    method: fc.constantFrom('PUT', 'DELETE', 'GET', 'put', 'POST'),
    url: fc.constantFrom(
      '/health/maintenance',
      '/health/maintenance/',
      '/health/maintenance?x=1',
      '/health/maintenances',
    ),
    headers: fc.record({
      authorization: fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom(`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `Bearer\t${TOKEN}  `) },
        { weight: 3, arbitrary: authorization },
      ),
    }) as fc.Arbitrary<HealthRequest['headers']>,
    body: fc.oneof(
      fc.constant(undefined),
      validReason.map((reason) => JSON.stringify({ reason })),
      jsonBody,
      fc.uint8Array({ maxLength: 64 }),
    ),
    enabledBefore: fc.boolean(),
  })
  let entered = 0
  await fc.assert(
    fc.asyncProperty(adminRequest, async ({ enabledBefore, ...input }) => {
      tried.admin++
      if (enabledBefore) await health.enterMaintenance('before')
      const before = maintenanceKey(health)
      const response = await handler.handle(input)
      if (maintenanceKey(health) !== before) tried.changes++
      const verb = input.method.toUpperCase()
      const valid =
        input.url !== '/health/maintenances' &&
        carriesToken(input.headers) &&
        (verb === 'PUT' || verb === 'DELETE')
      if (valid && verb === 'DELETE') {
        expect(response?.status).toBe(200)
        expect(health.maintenance.enabled).toBe(false)
      } else if (valid && response?.status === 200) {
        // An authorized PUT enters maintenance, or it is refused with a 4xx because of its body.
        entered++
        expect(health.maintenance.enabled).toBe(true)
      } else if (valid) {
        expect([400, 413]).toContain(response?.status)
        expect(health.maintenance.enabled).toBe(enabledBefore)
      } else {
        expect(health.maintenance.enabled).toBe(enabledBefore)
        expect(response?.status).not.toBe(500)
      }
      if (health.maintenance.enabled) await health.leaveMaintenance()
    }),
    { seed: SEED, numRuns: ADMIN_RUNS },
  )
  // The generator really produced valid authorized requests, or the property above proves nothing.
  expect(entered).toBeGreaterThan(ADMIN_RUNS / 20)
}, 120_000)

// --- raw bytes against a real server ---------------------------------------------------------------

const token = fc.oneof(
  fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'PRI', 'get', 'G ET', 'GET\u0000', '', 'ÄÖÜ'),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }),
)
const target = fc.oneof(
  route,
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((value) => `/health/${value}`),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer({ min: 8000, max: 70_000 }).map((size) => `/health/${'x'.repeat(size)}`),
)
const version = fc.constantFrom(
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/2.0',
  'HTTP/0.9',
  'HTTP/1.1 extra',
  'http/1.1',
  'HTTP/',
  '',
  'ICE/1.0',
)
const headerLine = fc.oneof(
  fc.constantFrom(
    'Host: 127.0.0.1',
    'Content-Length: 10',
    'Content-Length: -5',
    'Content-Length: 1, 2',
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: gzip, chunked',
    'Authorization: Bearer wrong',
    'no colon here',
    ' folded: continuation',
    ': empty name',
    'X-Nul: a\u0000b',
    'Connection: upgrade',
    'Upgrade: websocket',
    'Expect: 100-continue',
  ),
  fc
    .tuple(fc.string({ unit: 'binary-ascii', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 40 }))
    .map(([name, value]) => `${name}: ${value}`),
  fc.integer({ min: 9000, max: 40_000 }).map((size) => `X-Big: ${'y'.repeat(size)}`),
)
// Well-formed enough for node:http to hand over to the health listener, odd in every other way.
const visible = fc.string({
  unit: fc.constantFrom(..."abcXYZ019-._~%!$&'()*+,;=:@/?".split('')),
  maxLength: 40,
})
const parsedRequest = fc
  .tuple(
    fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'OPTIONS', 'PATCH'),
    fc.oneof(
      route.filter((value) => value.startsWith('/')),
      visible.map((value) => `/health/${value}`),
    ),
    fc.array(
      fc.oneof(
        fc.constantFrom(
          'Authorization: Bearer wrong',
          'Authorization: Basic Zm9vOmJhcg==',
          'User-Agent: ELB-HealthChecker/2.0',
        ),
        fc
          .tuple(fc.constantFrom('X-A', 'Accept', 'Authorization', 'Content-Type', 'Cookie'), visible)
          .map(([name, value]) => `${name}: ${value}`),
      ),
      { maxLength: 4 },
    ),
    fc.oneof(
      fc.constant(Buffer.alloc(0)),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      jsonBody.map((text) => Buffer.from(text)),
    ),
  )
  .map(([verb, path, lines, payload]) =>
    Buffer.concat([
      Buffer.from(
        `${verb} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.map((line) => `${line}\r\n`).join('')}`,
      ),
      Buffer.from(`Content-Length: ${payload.length}\r\n\r\n`),
      payload,
    ]),
  )
const rawRequest = fc.oneof(
  { weight: 3, arbitrary: parsedRequest },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        token,
        target,
        version,
        fc.array(headerLine, { maxLength: 6 }),
        fc.oneof(fc.constant(''), fc.string({ unit: 'binary', maxLength: 200 })),
      )
      .map(([verb, path, httpVersion, lines, payload]) =>
        Buffer.from(`${verb} ${path} ${httpVersion}\r\n${lines.join('\r\n')}\r\n\r\n${payload}`, 'utf8'),
      ),
  },
  // Line endings and framing gone wrong.
  {
    weight: 1,
    arbitrary: fc
      .tuple(token, target, fc.constantFrom('\n', '\r', '\n\r', '\r\r\n', ''))
      .map(([verb, path, eol]) => Buffer.from(`${verb} ${path} HTTP/1.1${eol}Host: x${eol}${eol}`, 'utf8')),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)) },
)

/** Writes `bytes`, half-closes, and collects every status line the server sends back before it closes. */
function sendRaw(port: number, bytes: Buffer): Promise<{ statuses: number[]; handled: number }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let received = ''
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve({
        statuses: [...received.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1])),
        // Answers of the health listener (node:http's own 400s are plain text).
        handled: received.match(/content-type: application\/(health\+)?json/gi)?.length ?? 0,
      })
    }
    // A request the server is still waiting to complete is not an answer it owes us; stop waiting.
    const timer = setTimeout(finish, 3000)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    socket.on('error', finish)
    socket.on('close', finish)
    socket.on('connect', () => {
      socket.write(bytes)
      socket.end()
    })
  })
}

test(`node:http with the health listener survives ${RAW_RUNS} malformed requests on raw sockets`, async () => {
  server = await startChild('node-health.ts')
  const port = server.port
  const answered = new Map<number, number>()
  let handled = 0
  await fc.assert(
    fc.asyncProperty(fc.array(rawRequest, { minLength: 5, maxLength: 5 }), async (batch) => {
      const results = await Promise.all(batch.map((bytes) => sendRaw(port, bytes)))
      const statuses = results.flatMap((result) => result.statuses)
      tried.raw += batch.length
      for (const result of results) handled += result.handled
      for (const status of statuses) answered.set(status, (answered.get(status) ?? 0) + 1)
      // Node answers what it cannot parse with 4xx itself; what it can is answered by the handler.
      expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([])
    }),
    { seed: SEED, numRuns: RAW_RUNS / 5 },
  )
  // Still up and still right: a valid probe passes and nothing above entered maintenance.
  const state = await server.call<{ maintenance: boolean; probe: number }>({ type: 'state' })
  console.log(
    `raw requests: status lines received ${JSON.stringify(Object.fromEntries(answered))}, ${handled} of them ` +
      'from the health listener',
  )
  expect(state).toEqual({ type: 'state:done', maintenance: false, probe: 200 })
  // Both kinds of input were exercised: some reached the listener, some were refused by the parser.
  expect(handled).toBeGreaterThan(RAW_RUNS / 5)
  expect(answered.get(400) ?? 0).toBeGreaterThan(RAW_RUNS / 5)
}, 180_000)
