import {
  createHealth,
  type HandlerOptions,
  type Health,
  type MaintenanceState,
  type Status,
} from '@healthgate/core'
import type { TestRequest } from './servers.js'

/** The clock is frozen at this instant during each case, so that every server renders the same bytes. */
export const FROZEN_TIME = '2025-01-02T03:04:05.000Z'
export const TOKEN = 'conformance-t0ken'
export const ENV_TOKEN = 'env-conformance-t0ken'
export const SECRET = 'hunter2-secret'
const LEAKY_DSN = `postgres://app:${SECRET}@db:5432/orders`

type Scenario = 'passing' | 'failing' | 'degraded' | 'leaky'

/** A fresh health per server and case: no state leaks between servers or cases. */
export function buildHealth(scenario: Scenario): Health {
  const base = { version: '1.4.2', serviceId: 'conformance', defaultCacheTtlMs: 60_000 }
  const queue = { name: 'queue', check: async () => undefined }
  const heartbeat = { name: 'heartbeat', tags: ['live' as const], check: async () => undefined }
  const boot = { name: 'boot', tags: ['startup' as const], check: async () => undefined }
  const db = { name: 'db', componentType: 'datastore', componentId: 'primary' }
  switch (scenario) {
    case 'passing':
      return createHealth({
        ...base,
        checks: [
          { ...db, check: async () => ({ observedValue: 3, observedUnit: 'ms' }) },
          queue,
          heartbeat,
          boot,
        ],
      })
    case 'failing':
      return createHealth({
        ...base,
        checks: [
          {
            ...db,
            check: async () => {
              throw new Error('connection refused')
            },
          },
          queue,
          heartbeat,
          boot,
        ],
      })
    case 'degraded':
      return createHealth({
        ...base,
        checks: [
          { ...db, check: async () => ({ observedValue: 3, observedUnit: 'ms' }) },
          {
            name: 'upstream',
            critical: false,
            check: async () => {
              throw new Error('HTTP 502 from upstream')
            },
          },
          { name: 'queue', check: async () => ({ status: 'warn' as const, output: 'backlog 900 messages' }) },
        ],
      })
    case 'leaky':
      return createHealth({
        ...base,
        checks: [
          {
            ...db,
            check: async () => {
              const error = new Error(
                `password authentication failed for ${LEAKY_DSN}\n    at Connection.parseE (/app/node_modules/pg/lib/connection.js:614:13)`,
              )
              error.stack = `${error.stack}\ncaused by ${LEAKY_DSN}`
              throw error
            },
          },
          {
            name: 'replica',
            check: async () => ({ output: `connected to redis://:${SECRET}@cache:6379?password=${SECRET}` }),
          },
        ],
      })
  }
}

export type Expected = (
  | { kind: 'health'; status: 200 | 503; body: object; retryAfter?: string }
  | { kind: 'json'; status: number; body: object; allow?: string; wwwAuthenticate?: true }
  | { kind: 'app'; status: 200 | 404 }
) & {
  /** The maintenance state after the request: unchanged, or matching this object. */
  maintenance?: 'unchanged' | Partial<MaintenanceState>
  /** Answered with `Connection: close` although the client asked to keep the connection alive. */
  closesConnection?: true
}

export interface Case {
  name: string
  /** Default: `'passing'`. */
  scenario?: Scenario
  /** Handler options of every server. Default: `{ adminToken: TOKEN }`. */
  options?: HandlerOptions
  /** Environment while the servers are created. `HEALTHGATE_ADMIN_TOKEN` is unset unless given here. */
  env?: Record<string, string>
  setup?: (health: Health) => Promise<void>
  /** Requests sent to the same server before the one under test. */
  before?: TestRequest[]
  request: TestRequest
  expect: Expected
}

// ---- expected bodies, written out from the contract ----

const key = (name: string) => `${name}:responseTime`

/** An anonymous body: statuses only (plus the generic top-level output). */
function brief(status: Status, checks: Record<string, Status>, output?: string): object {
  return {
    status,
    ...(output === undefined ? {} : { output }),
    checks: Object.fromEntries(
      Object.entries(checks).map(([name, check]) => [key(name), [{ status: check }]]),
    ),
  }
}

type Component = Record<string, unknown>
/** A detailed body: the service metadata and every component's details. */
function detailed(status: Status, checks: Record<string, Component>, extra: object = {}): object {
  return {
    status,
    version: '1.4.2',
    serviceId: 'conformance',
    ...extra,
    checks: Object.fromEntries(Object.entries(checks).map(([name, component]) => [key(name), [component]])),
  }
}

/** A component whose observed value is the run's duration: 0 ms under the frozen clock. */
const timed = (status: Status, output?: string): Component => ({
  componentType: 'component',
  observedValue: 0,
  observedUnit: 'ms',
  status,
  time: FROZEN_TIME,
  ...(output === undefined ? {} : { output }),
})
const DB_PASS: Component = {
  componentId: 'primary',
  componentType: 'datastore',
  observedValue: 3,
  observedUnit: 'ms',
  status: 'pass',
  time: FROZEN_TIME,
}
const dbFailed = (output: string): Component => ({
  componentId: 'primary',
  componentType: 'datastore',
  observedValue: 0,
  observedUnit: 'ms',
  status: 'fail',
  time: FROZEN_TIME,
  output,
})
const LEAKY_DB = dbFailed('password authentication failed for postgres://***@db:5432/orders')
const LEAKY_REPLICA = timed('pass', 'connected to redis://***@cache:6379?password=***')

const READY = brief('pass', { db: 'pass', queue: 'pass' })
const LIVE = brief('pass', { heartbeat: 'pass' })
const STARTUP = brief('pass', { boot: 'pass' })
const DB = brief('pass', { db: 'pass' })
const FAILING = brief('fail', { db: 'fail', queue: 'pass' })
const IN_MAINTENANCE = brief('fail', { db: 'pass', queue: 'pass' }, 'maintenance')
const LEAKY_BRIEF = brief('fail', { db: 'fail', replica: 'pass' })
const LEAKY_DETAILED = detailed('fail', { db: LEAKY_DB, replica: LEAKY_REPLICA })

const error = (status: number, message: string) => ({ status, error: message })
const NOT_FOUND = error(404, 'Not found')
const METHOD_NOT_ALLOWED = error(405, 'Method not allowed')
const UNAUTHORIZED = error(401, 'A valid Bearer token is required')
const NOT_JSON = error(400, 'Body is not valid JSON')
const NOT_AN_OBJECT = error(400, 'Body must be a JSON object like {"reason": "deploy 1.4.2"}')
const TOO_LARGE = error(413, 'Body exceeds 4096 bytes')
const CONTROL = error(400, 'Expected `reason` without control characters')

const OFF = {
  enabled: false,
  source: 'memory',
  draining: false,
  drained: false,
  probers: [],
  unhealthyThreshold: 2,
  unconfirmed: 0,
}
const on = (reason?: string, probers: object[] = [], unconfirmed = 0) => ({
  enabled: true,
  source: 'memory',
  since: FROZEN_TIME,
  ...(reason === undefined ? {} : { reason }),
  draining: true,
  drained: true,
  probers,
  unhealthyThreshold: 2,
  unconfirmed,
})

// ---- requests ----

const AUTH = { authorization: `Bearer ${TOKEN}` }
const JSON_TYPE = { 'content-type': 'application/json' }
const KUBE_PROBE = { 'user-agent': 'kube-probe/1.31' }
const get = (path: string, headers: Record<string, string> = {}): TestRequest => ({
  method: 'GET',
  path,
  headers,
})
const head = (path: string, headers: Record<string, string> = {}): TestRequest => ({
  method: 'HEAD',
  path,
  headers,
})
const admin = (
  method: string,
  body?: string | Buffer,
  headers: Record<string, string> = JSON_TYPE,
): TestRequest => ({
  method,
  path: '/health/maintenance',
  headers: { ...AUTH, ...headers },
  ...(body === undefined ? {} : { body }),
})
const enter = (reason?: string) => (health: Health) => health.enterMaintenance(reason)

/** JSON of exactly `size` bytes: a valid object padded with trailing spaces. */
const padded = (json: string, size: number) => json + ' '.repeat(size - Buffer.byteLength(json))

const health = (status: 200 | 503, body: object, retryAfter?: string): Expected => ({
  kind: 'health',
  status,
  body,
  ...(retryAfter === undefined ? {} : { retryAfter }),
})
const json = (
  status: number,
  body: object,
  extra: Partial<Extract<Expected, { kind: 'json' }>> = {},
): Expected => ({
  kind: 'json',
  status,
  body,
  ...extra,
})
const rejected = (status: number, body: object): Expected => ({
  ...json(status, body),
  maintenance: 'unchanged',
})
/** The rest of an oversized body is never read, so the connection must not be reused. */
const OVERSIZED: Expected = { ...rejected(413, TOO_LARGE), closesConnection: true }
const keepAlive = (request: TestRequest): TestRequest => ({
  ...request,
  headers: { ...request.headers, connection: 'keep-alive' },
})

const PROBE_ROUTES = ['/health', '/health/ready', '/health/live', '/health/startup', '/health/checks/db']

export const CASES: Case[] = [
  // Probe routes: GET and HEAD.
  { name: 'GET /health is readiness', request: get('/health'), expect: health(200, READY) },
  { name: 'HEAD /health', request: head('/health'), expect: health(200, READY) },
  { name: 'GET /health/ready', request: get('/health/ready'), expect: health(200, READY) },
  { name: 'HEAD /health/ready', request: head('/health/ready'), expect: health(200, READY) },
  { name: 'GET /health/live runs only live checks', request: get('/health/live'), expect: health(200, LIVE) },
  { name: 'HEAD /health/live', request: head('/health/live'), expect: health(200, LIVE) },
  { name: 'GET /health/startup', request: get('/health/startup'), expect: health(200, STARTUP) },
  { name: 'HEAD /health/startup', request: head('/health/startup'), expect: health(200, STARTUP) },
  { name: 'GET /health/checks/db', request: get('/health/checks/db'), expect: health(200, DB) },
  { name: 'HEAD /health/checks/db', request: head('/health/checks/db'), expect: health(200, DB) },
  {
    name: 'GET /health/checks/:name reaches a check of another probe',
    request: get('/health/checks/heartbeat'),
    expect: health(200, brief('pass', { heartbeat: 'pass' })),
  },
  { name: 'GET /health/ (trailing slash)', request: get('/health/'), expect: health(200, READY) },
  { name: 'GET /health/live/ (trailing slash)', request: get('/health/live/'), expect: health(200, LIVE) },

  // Query strings never change the route.
  { name: 'GET /health?x=1', request: get('/health?x=1'), expect: health(200, READY) },
  { name: 'GET /health/?x=1', request: get('/health/?x=1'), expect: health(200, READY) },
  { name: 'GET /health/ready?x=1&y', request: get('/health/ready?x=1&y'), expect: health(200, READY) },
  { name: 'HEAD /health/live?verbose', request: head('/health/live?verbose'), expect: health(200, LIVE) },
  { name: 'GET /health/checks/db?x=1', request: get('/health/checks/db?x=1'), expect: health(200, DB) },

  // ?exclude
  {
    name: 'GET /health?exclude=db',
    request: get('/health?exclude=db'),
    expect: health(200, brief('pass', { queue: 'pass' })),
  },
  {
    name: 'GET /health?exclude=db&exclude=queue (repeated)',
    request: get('/health?exclude=db&exclude=queue'),
    expect: health(200, brief('pass', {})),
  },
  {
    name: 'GET /health?exclude=db,queue (comma list)',
    request: get('/health?exclude=db,queue'),
    expect: health(200, brief('pass', {})),
  },
  {
    name: 'GET /health/ready?exclude=queue,%20db (spaces trimmed)',
    request: get('/health/ready?exclude=queue,%20db'),
    expect: health(200, brief('pass', {})),
  },
  {
    name: 'GET /health/live?exclude=heartbeat',
    request: get('/health/live?exclude=heartbeat'),
    expect: health(200, brief('pass', {})),
  },
  {
    name: 'GET /health?exclude=nope is a 400 naming it',
    request: get('/health?exclude=nope'),
    expect: json(400, error(400, 'Unknown check "nope" in `exclude`')),
  },
  {
    name: 'GET /health?exclude=db,nope names the unknown one',
    request: get('/health?exclude=db,nope'),
    expect: json(400, error(400, 'Unknown check "nope" in `exclude`')),
  },
  {
    name: 'GET /health/ready?exclude=db&exclude=ghost',
    request: get('/health/ready?exclude=db&exclude=ghost'),
    expect: json(400, error(400, 'Unknown check "ghost" in `exclude`')),
  },
  {
    name: 'HEAD /health?exclude=nope',
    request: head('/health?exclude=nope'),
    expect: json(400, error(400, 'Unknown check "nope" in `exclude`')),
  },

  // Unknown checks and subpaths.
  {
    name: 'GET /health/checks/nope is a 404',
    request: get('/health/checks/nope'),
    expect: json(404, error(404, 'Unknown check "nope"')),
  },
  { name: 'GET /health/checks/', request: get('/health/checks/'), expect: json(404, NOT_FOUND) },
  {
    name: 'GET /health/checks/db/extra',
    request: get('/health/checks/db/extra'),
    expect: json(404, NOT_FOUND),
  },
  { name: 'GET /health/nope', request: get('/health/nope'), expect: json(404, NOT_FOUND) },
  { name: 'HEAD /health/nope', request: head('/health/nope'), expect: json(404, NOT_FOUND) },
  {
    name: 'POST /health/nope',
    request: { method: 'POST', path: '/health/nope' },
    expect: json(404, NOT_FOUND),
  },
  { name: 'GET /health/ready/extra', request: get('/health/ready/extra'), expect: json(404, NOT_FOUND) },
  {
    name: 'GET /health/maintenance/x',
    request: get('/health/maintenance/x', AUTH),
    expect: json(404, NOT_FOUND),
  },

  // Methods other than GET and HEAD on probe routes.
  ...PROBE_ROUTES.flatMap((path) =>
    ['POST', 'PUT', 'DELETE', 'PATCH'].map(
      (method): Case => ({
        name: `${method} ${path} is a 405`,
        request: { method, path, headers: JSON_TYPE, body: '{}' },
        expect: { ...json(405, METHOD_NOT_ALLOWED, { allow: 'GET, HEAD' }), maintenance: 'unchanged' },
      }),
    ),
  ),
  {
    name: 'OPTIONS /health is a 405',
    request: { method: 'OPTIONS', path: '/health' },
    expect: json(405, METHOD_NOT_ALLOWED, { allow: 'GET, HEAD' }),
  },
  {
    name: 'QUERY /health without content-type is a 405',
    request: { method: 'QUERY', path: '/health' },
    expect: json(405, METHOD_NOT_ALLOWED, { allow: 'GET, HEAD' }),
  },
  {
    name: 'TRACE /health/live is a 405',
    request: { method: 'TRACE', path: '/health/live' },
    expect: json(405, METHOD_NOT_ALLOWED, { allow: 'GET, HEAD' }),
  },
  {
    name: 'POST /health/maintenance is a 405',
    request: admin('POST', '{"reason":"x"}'),
    expect: { ...json(405, METHOD_NOT_ALLOWED, { allow: 'GET, PUT, DELETE' }), maintenance: 'unchanged' },
  },
  {
    name: 'PATCH /health/maintenance is a 405',
    request: admin('PATCH', '{"reason":"x"}'),
    expect: { ...json(405, METHOD_NOT_ALLOWED, { allow: 'GET, PUT, DELETE' }), maintenance: 'unchanged' },
  },

  // Everything outside the mount path belongs to the app.
  { name: 'GET / reaches the app', request: get('/'), expect: { kind: 'app', status: 200 } },
  {
    name: 'GET /healthz shares the prefix only',
    request: get('/healthz'),
    expect: { kind: 'app', status: 200 },
  },
  { name: 'GET /nope is the app 404', request: get('/nope'), expect: { kind: 'app', status: 404 } },
  {
    name: 'GET /healthcheck is the app 404',
    request: get('/healthcheck'),
    expect: { kind: 'app', status: 404 },
  },
  {
    name: 'GET /Health is the app 404 (case)',
    request: get('/Health'),
    expect: { kind: 'app', status: 404 },
  },
  {
    name: 'POST /healthz is the app 404',
    request: { method: 'POST', path: '/healthz' },
    expect: { kind: 'app', status: 404 },
  },

  // 503 when a critical check fails.
  {
    name: 'failing: GET /health',
    scenario: 'failing',
    request: get('/health'),
    expect: health(503, FAILING, '5'),
  },
  {
    name: 'failing: HEAD /health',
    scenario: 'failing',
    request: head('/health'),
    expect: health(503, FAILING, '5'),
  },
  {
    name: 'failing: GET /health/ready',
    scenario: 'failing',
    request: get('/health/ready'),
    expect: health(503, FAILING, '5'),
  },
  {
    name: 'failing: GET /health/live stays 200',
    scenario: 'failing',
    request: get('/health/live'),
    expect: health(200, LIVE),
  },
  {
    name: 'failing: GET /health/checks/db',
    scenario: 'failing',
    request: get('/health/checks/db'),
    expect: health(503, brief('fail', { db: 'fail' }), '5'),
  },
  {
    name: 'failing: GET /health/checks/queue',
    scenario: 'failing',
    request: get('/health/checks/queue'),
    expect: health(200, brief('pass', { queue: 'pass' })),
  },
  {
    name: 'failing: GET /health?exclude=db',
    scenario: 'failing',
    request: get('/health?exclude=db'),
    expect: health(200, brief('pass', { queue: 'pass' })),
  },
  {
    name: 'failing: retryAfterSeconds sets Retry-After',
    scenario: 'failing',
    options: { adminToken: TOKEN, retryAfterSeconds: 30 },
    request: get('/health'),
    expect: health(503, FAILING, '30'),
  },
  {
    name: 'failing: GET /health with the token shows details',
    scenario: 'failing',
    request: get('/health', AUTH),
    expect: health(503, detailed('fail', { db: dbFailed('connection refused'), queue: timed('pass') }), '5'),
  },

  // 503 in maintenance; liveness, startup and single checks unaffected.
  {
    name: 'maintenance: GET /health',
    setup: enter('deploy 1.4.2'),
    request: get('/health'),
    expect: health(503, IN_MAINTENANCE, '5'),
  },
  {
    name: 'maintenance: HEAD /health/ready',
    setup: enter('deploy 1.4.2'),
    request: head('/health/ready'),
    expect: health(503, IN_MAINTENANCE, '5'),
  },
  {
    name: 'maintenance: GET /health/live stays 200',
    setup: enter('deploy 1.4.2'),
    request: get('/health/live'),
    expect: health(200, LIVE),
  },
  {
    name: 'maintenance: GET /health/startup stays 200',
    setup: enter('deploy 1.4.2'),
    request: get('/health/startup'),
    expect: health(200, STARTUP),
  },
  {
    name: 'maintenance: GET /health/checks/db stays 200',
    setup: enter('deploy 1.4.2'),
    request: get('/health/checks/db'),
    expect: health(200, DB),
  },
  {
    name: 'maintenance: GET /health with the token notes the reason',
    setup: enter('deploy 1.4.2'),
    request: get('/health', AUTH),
    expect: health(
      503,
      detailed(
        'fail',
        { db: DB_PASS, queue: timed('pass') },
        { output: 'maintenance', notes: [`maintenance since ${FROZEN_TIME} (memory): deploy 1.4.2`] },
      ),
      '5',
    ),
  },

  // warn -> 200
  {
    name: 'degraded: GET /health is warn, 200',
    scenario: 'degraded',
    request: get('/health'),
    expect: health(200, brief('warn', { db: 'pass', upstream: 'fail', queue: 'warn' })),
  },
  {
    name: 'degraded: HEAD /health',
    scenario: 'degraded',
    request: head('/health'),
    expect: health(200, brief('warn', { db: 'pass', upstream: 'fail', queue: 'warn' })),
  },
  {
    name: 'degraded: a failing non-critical check alone is warn, 200',
    scenario: 'degraded',
    request: get('/health/checks/upstream'),
    expect: health(200, brief('warn', { upstream: 'fail' })),
  },
  {
    name: 'degraded: details always',
    scenario: 'degraded',
    options: { details: 'always' },
    request: get('/health'),
    expect: health(
      200,
      detailed('warn', {
        db: DB_PASS,
        upstream: timed('fail', 'HTTP 502 from upstream'),
        queue: timed('warn', 'backlog 900 messages'),
      }),
    ),
  },
  {
    name: 'degraded: ?exclude=upstream,queue',
    scenario: 'degraded',
    request: get('/health?exclude=upstream,queue'),
    expect: health(200, brief('pass', { db: 'pass' })),
  },

  // Redaction per details mode; secrets and stack traces never appear.
  {
    name: "leaky: details 'never' hides details even from the token",
    scenario: 'leaky',
    options: { adminToken: TOKEN, details: 'never' },
    request: get('/health', AUTH),
    expect: health(503, LEAKY_BRIEF, '5'),
  },
  {
    name: "leaky: details 'authorized', anonymous",
    scenario: 'leaky',
    request: get('/health'),
    expect: health(503, LEAKY_BRIEF, '5'),
  },
  {
    name: "leaky: details 'authorized', wrong token",
    scenario: 'leaky',
    request: get('/health', { authorization: 'Bearer wrong' }),
    expect: health(503, LEAKY_BRIEF, '5'),
  },
  {
    name: "leaky: details 'authorized', the token",
    scenario: 'leaky',
    request: get('/health', AUTH),
    expect: health(503, LEAKY_DETAILED, '5'),
  },
  {
    name: "leaky: details 'authorized', the token from HEALTHGATE_ADMIN_TOKEN",
    scenario: 'leaky',
    options: {},
    env: { HEALTHGATE_ADMIN_TOKEN: ENV_TOKEN },
    request: get('/health', { authorization: `Bearer ${ENV_TOKEN}` }),
    expect: health(503, LEAKY_DETAILED, '5'),
  },
  {
    name: "leaky: details 'always', anonymous",
    scenario: 'leaky',
    options: { details: 'always' },
    request: get('/health'),
    expect: health(503, LEAKY_DETAILED, '5'),
  },
  {
    name: "leaky: details 'always', one check",
    scenario: 'leaky',
    options: { details: 'always' },
    request: get('/health/checks/db'),
    expect: health(503, detailed('fail', { db: LEAKY_DB }), '5'),
  },
  {
    name: "leaky: details 'never', one check with the token",
    scenario: 'leaky',
    options: { adminToken: TOKEN, details: 'never' },
    request: get('/health/checks/db', AUTH),
    expect: health(503, brief('fail', { db: 'fail' }), '5'),
  },

  // Admin API: authentication.
  {
    name: 'admin: no token configured -> 404',
    options: {},
    request: admin('GET'),
    expect: json(404, NOT_FOUND),
  },
  {
    name: 'admin: no token configured, PUT -> 404',
    options: {},
    request: admin('PUT', '{"reason":"x"}'),
    expect: rejected(404, NOT_FOUND),
  },
  {
    name: 'admin: an empty HEALTHGATE_ADMIN_TOKEN counts as unset -> 404',
    options: {},
    env: { HEALTHGATE_ADMIN_TOKEN: '' },
    request: get('/health/maintenance', { authorization: 'Bearer ' }),
    expect: json(404, NOT_FOUND),
  },
  {
    name: 'admin: missing token -> 401',
    request: { method: 'GET', path: '/health/maintenance' },
    expect: json(401, UNAUTHORIZED, { wwwAuthenticate: true }),
  },
  {
    name: 'admin: wrong token -> 401',
    request: get('/health/maintenance', { authorization: 'Bearer nope' }),
    expect: json(401, UNAUTHORIZED, { wwwAuthenticate: true }),
  },
  {
    name: 'admin: Basic credentials -> 401',
    request: get('/health/maintenance', {
      authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
    }),
    expect: json(401, UNAUTHORIZED, { wwwAuthenticate: true }),
  },
  {
    name: 'admin: PUT with a wrong token -> 401, unchanged',
    request: { ...admin('PUT', '{"reason":"x"}'), headers: { ...JSON_TYPE, authorization: 'Bearer nope' } },
    expect: { ...json(401, UNAUTHORIZED, { wwwAuthenticate: true }), maintenance: 'unchanged' },
  },
  {
    name: 'admin: DELETE without a token in maintenance -> 401, unchanged',
    setup: enter('deploy'),
    request: { method: 'DELETE', path: '/health/maintenance' },
    expect: { ...json(401, UNAUTHORIZED, { wwwAuthenticate: true }), maintenance: 'unchanged' },
  },
  {
    name: 'admin: token from HEALTHGATE_ADMIN_TOKEN',
    options: {},
    env: { HEALTHGATE_ADMIN_TOKEN: ENV_TOKEN },
    request: get('/health/maintenance', { authorization: `Bearer ${ENV_TOKEN}` }),
    expect: json(200, OFF),
  },
  {
    name: 'admin: the adminToken option wins over HEALTHGATE_ADMIN_TOKEN',
    env: { HEALTHGATE_ADMIN_TOKEN: ENV_TOKEN },
    request: get('/health/maintenance', { authorization: `Bearer ${ENV_TOKEN}` }),
    expect: json(401, UNAUTHORIZED, { wwwAuthenticate: true }),
  },

  // Admin API: reading, entering, leaving.
  { name: 'admin: GET state', request: admin('GET'), expect: json(200, OFF) },
  {
    name: 'admin: the Bearer scheme is case-insensitive',
    request: get('/health/maintenance', { authorization: `bearer ${TOKEN}` }),
    expect: json(200, OFF),
  },
  {
    name: 'admin: PUT without a body enters',
    request: { method: 'PUT', path: '/health/maintenance', headers: AUTH },
    expect: { ...json(200, on()), maintenance: { enabled: true, reason: undefined } },
  },
  {
    name: 'admin: PUT with a reason enters',
    request: admin('PUT', '{"reason":"deploy 1.4.2"}'),
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'admin: PUT with content-type text/plain reaches the core',
    request: admin('PUT', '{"reason":"deploy 1.4.2"}', { 'content-type': 'text/plain' }),
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'admin: PUT without content-type reaches the core',
    request: admin('PUT', '{"reason":"deploy 1.4.2"}', {}),
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'admin: PUT with content-type application/octet-stream',
    request: admin('PUT', '{"reason":"deploy 1.4.2"}', { 'content-type': 'application/octet-stream' }),
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'admin: PUT with content-type application/x-www-form-urlencoded',
    request: admin('PUT', '{"reason":"deploy 1.4.2"}', {
      'content-type': 'application/x-www-form-urlencoded',
    }),
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'admin: PUT with a content-type that is not a media type reaches the core',
    request: admin('PUT', '{"reason":"deploy 1.4.2"}', { 'content-type': 'json' }),
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'admin: PUT with an empty content-type reaches the core',
    request: admin('PUT', '{"reason": 5}', { 'content-type': '' }),
    expect: rejected(400, error(400, 'Expected `reason` to be a string, got number 5')),
  },
  {
    name: 'admin: PUT with a chunked body',
    request: { ...admin('PUT', '{"reason":"deploy 1.4.2"}'), chunked: true },
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'admin: PUT with {}',
    request: admin('PUT', '{}'),
    expect: { ...json(200, on()), maintenance: { enabled: true, reason: undefined } },
  },
  {
    name: 'admin: PUT with an empty JSON body',
    request: admin('PUT', ''),
    expect: { ...json(200, on()), maintenance: { enabled: true } },
  },
  {
    name: 'admin: PUT with a 200-character reason',
    request: admin('PUT', JSON.stringify({ reason: 'r'.repeat(200) })),
    expect: { ...json(200, on('r'.repeat(200))), maintenance: { enabled: true, reason: 'r'.repeat(200) } },
  },
  {
    name: 'admin: PUT with a body of exactly 4096 bytes',
    request: admin('PUT', padded('{"reason":"deploy 1.4.2"}', 4096)),
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'admin: after PUT, readiness is 503',
    before: [admin('PUT', '{"reason":"deploy 1.4.2"}')],
    request: get('/health'),
    expect: health(503, IN_MAINTENANCE, '5'),
  },
  {
    name: 'admin: after PUT, liveness is 200',
    before: [admin('PUT', '{"reason":"deploy 1.4.2"}')],
    request: get('/health/live'),
    expect: health(200, LIVE),
  },
  {
    name: 'admin: GET counts the 503s each balancer saw (drain confirmation), not one-off requests',
    before: [
      get('/health', KUBE_PROBE),
      get('/health'),
      admin('PUT', '{"reason":"deploy 1.4.2"}'),
      get('/health', KUBE_PROBE),
      head('/health/ready', KUBE_PROBE),
    ],
    request: admin('GET'),
    expect: json(
      200,
      on(
        'deploy 1.4.2',
        [
          {
            id: '127.0.0.1 kube-probe/1.31',
            kind: 'matched',
            // The clock is frozen.
            intervalMs: 0,
            consecutive503: 2,
            holding: false,
            lastSeen: FROZEN_TIME,
          },
        ],
        1,
      ),
    ),
  },
  {
    name: 'admin: DELETE leaves',
    setup: enter('deploy 1.4.2'),
    request: admin('DELETE'),
    expect: { ...json(200, OFF), maintenance: { enabled: false } },
  },
  {
    name: 'admin: after DELETE, readiness is 200',
    setup: enter('deploy 1.4.2'),
    before: [admin('DELETE')],
    request: get('/health'),
    expect: health(200, READY),
  },

  // Admin API: rejected bodies never change the state.
  {
    name: 'admin: malformed JSON -> 400',
    request: admin('PUT', '{"reason":'),
    expect: rejected(400, NOT_JSON),
  },
  {
    name: 'admin: malformed JSON without content-type -> 400',
    request: admin('PUT', '{"reason":', {}),
    expect: rejected(400, NOT_JSON),
  },
  {
    name: 'admin: malformed JSON as text/plain -> 400',
    request: admin('PUT', 'deploy', { 'content-type': 'text/plain' }),
    expect: rejected(400, NOT_JSON),
  },
  {
    name: 'admin: {"reason": 5} -> 400',
    request: admin('PUT', '{"reason": 5}'),
    expect: rejected(400, error(400, 'Expected `reason` to be a string, got number 5')),
  },
  { name: 'admin: [] -> 400', request: admin('PUT', '[]'), expect: rejected(400, NOT_AN_OBJECT) },
  { name: 'admin: "x" -> 400', request: admin('PUT', '"x"'), expect: rejected(400, NOT_AN_OBJECT) },
  { name: 'admin: null -> 400', request: admin('PUT', 'null'), expect: rejected(400, NOT_AN_OBJECT) },
  {
    name: 'admin: a 201-character reason -> 400',
    request: admin('PUT', JSON.stringify({ reason: 'r'.repeat(201) })),
    expect: rejected(400, error(400, 'Expected `reason` to be at most 200 characters, got 201')),
  },
  {
    name: 'admin: a newline in the reason -> 400',
    request: admin('PUT', JSON.stringify({ reason: 'deploy\nINFO forged log line' })),
    expect: rejected(400, CONTROL),
  },
  {
    name: 'admin: BEL in the reason -> 400',
    request: admin('PUT', '{"reason":"a\\u0007"}'),
    expect: rejected(400, CONTROL),
  },
  {
    name: 'admin: U+2028 in the reason -> 400',
    request: admin('PUT', '{"reason":"a\\u2028b"}'),
    expect: rejected(400, CONTROL),
  },
  {
    name: 'admin: an unknown field -> 400',
    request: admin('PUT', '{"reason":"x","forse":true}'),
    expect: rejected(400, error(400, 'Unknown field "forse"; only "reason" and "force" are accepted')),
  },
  {
    name: 'admin: invalid UTF-8 -> 400',
    request: admin('PUT', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
    expect: rejected(400, error(400, 'Body is not valid UTF-8')),
  },
  {
    name: 'admin: 4097 bytes with content-length -> 413',
    request: keepAlive(admin('PUT', padded('{"reason":"x"}', 4097))),
    expect: OVERSIZED,
  },
  {
    name: 'admin: 64 KiB with content-length -> 413',
    request: keepAlive(admin('PUT', padded('{"reason":"x"}', 65_536))),
    expect: OVERSIZED,
  },
  {
    name: 'admin: 5000 bytes chunked -> 413',
    request: keepAlive({ ...admin('PUT', padded('{"reason":"x"}', 5000)), chunked: true }),
    expect: OVERSIZED,
  },
  {
    name: 'admin: 5000 bytes chunked as text/plain -> 413',
    request: keepAlive({
      ...admin('PUT', padded('{"reason":"x"}', 5000), { 'content-type': 'text/plain' }),
      chunked: true,
    }),
    expect: OVERSIZED,
  },
  {
    name: 'admin: a rejected PUT in maintenance keeps the old reason',
    setup: enter('first deploy'),
    request: admin('PUT', '{"reason": 5}'),
    expect: rejected(400, error(400, 'Expected `reason` to be a string, got number 5')),
  },
  {
    name: 'admin: an oversized PUT in maintenance keeps the old reason',
    setup: enter('first deploy'),
    request: keepAlive({ ...admin('PUT', padded('{"reason":"x"}', 5000)), chunked: true }),
    expect: OVERSIZED,
  },

  // A custom mount path.
  {
    name: 'custom path: GET /_status',
    options: { adminToken: TOKEN, path: '/_status' },
    request: get('/_status'),
    expect: health(200, READY),
  },
  {
    name: 'custom path: HEAD /_status/ready',
    options: { adminToken: TOKEN, path: '/_status' },
    request: head('/_status/ready'),
    expect: health(200, READY),
  },
  {
    name: 'custom path: GET /_status/checks/db',
    options: { adminToken: TOKEN, path: '/_status' },
    request: get('/_status/checks/db'),
    expect: health(200, DB),
  },
  {
    name: 'custom path: GET /_status/nope',
    options: { adminToken: TOKEN, path: '/_status' },
    request: get('/_status/nope'),
    expect: json(404, NOT_FOUND),
  },
  {
    name: 'custom path: POST /_status/live',
    options: { adminToken: TOKEN, path: '/_status' },
    request: { method: 'POST', path: '/_status/live' },
    expect: json(405, METHOD_NOT_ALLOWED, { allow: 'GET, HEAD' }),
  },
  {
    name: 'custom path: PUT /_status/maintenance',
    options: { adminToken: TOKEN, path: '/_status' },
    request: { ...admin('PUT', '{"reason":"deploy 1.4.2"}'), path: '/_status/maintenance' },
    expect: { ...json(200, on('deploy 1.4.2')), maintenance: { enabled: true, reason: 'deploy 1.4.2' } },
  },
  {
    name: 'custom path: GET /health belongs to the app',
    options: { adminToken: TOKEN, path: '/_status' },
    request: get('/health'),
    expect: { kind: 'app', status: 404 },
  },
  {
    name: 'custom path: GET /_statusx belongs to the app',
    options: { adminToken: TOKEN, path: '/_status' },
    request: get('/_statusx'),
    expect: { kind: 'app', status: 404 },
  },
]
