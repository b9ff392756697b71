import { createHash, timingSafeEqual } from 'node:crypto'
import { readOptions } from './checks/common.js'
import type { Health } from './health.js'
import { HEALTH_CONTENT_TYPE, toHealthJson } from './render.js'
import { describeValue } from './sanitize.js'
import type { HealthReport } from './types.js'
import { oneOf, positiveInteger } from './validate.js'

export type DetailsMode = 'never' | 'authorized' | 'always'

export interface HandlerOptions {
  /** Mount path of the health routes. Default: `'/health'`. */
  path?: string
  /**
   * Who sees error text, observed values and times: nobody, callers with the admin token, or everyone.
   * Statuses are always shown. Default: `'authorized'`.
   */
  details?: DetailsMode
  /**
   * Bearer token for the maintenance admin API and for detailed bodies.
   * Default: `process.env.HEALTHGATE_ADMIN_TOKEN` (empty counts as unset); with neither, the admin API
   * answers 404.
   */
  adminToken?: string
  /** `Retry-After` seconds sent with every 503. Default: 5. */
  retryAfterSeconds?: number
}

export type HeaderValue = string | string[] | undefined

export interface HealthRequest {
  method: string
  /** Request target as received, e.g. `/health/ready?exclude=redis`. */
  url: string
  /** Request headers with lower-case names (as Node, Express and Fastify give them). */
  headers: Readonly<Record<string, HeaderValue>>
  /** Request body: only read for `PUT /health/maintenance`. A Node request stream is fine. */
  body?: string | Uint8Array | AsyncIterable<Uint8Array | string> | null
  /** Remote address, used with the User-Agent to tell load-balancer probers apart. */
  remoteAddress?: string
}

export interface HealthResponse {
  status: number
  /** Lower-case header names. Shared between responses: do not mutate. */
  headers: Readonly<Record<string, string>>
  /** Empty for HEAD. */
  body: string
}

export interface HealthHandler {
  readonly path: string
  /** Answers a request under `path`; resolves `undefined` for any other path so the caller can pass it on. */
  handle(request: HealthRequest): Promise<HealthResponse | undefined>
  /**
   * `handle()` without the promise when the answer is ready at once: a request outside `path`, a refused
   * one, or a probe served from the cached report (every probe request but about one per cache TTL).
   * Otherwise the same promise `handle()` returns. For adapters on the hot path. Never throws.
   */
  respond(request: HealthRequest): HealthResponse | undefined | Promise<HealthResponse | undefined>
}

/** Largest accepted body of `PUT /health/maintenance`, in bytes. */
export const MAX_ADMIN_BODY_BYTES = 4096
const MAX_REASON_LENGTH = 200
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
const PROBE_METHODS = 'GET, HEAD'
const ADMIN_METHODS = 'GET, PUT, DELETE'
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'
const NO_EXCLUDE: readonly string[] = Object.freeze([])

// Spelt out as an object so that the compiler flags an option missing here.
const HANDLER_OPTION_KEYS = Object.keys({
  path: true,
  details: true,
  adminToken: true,
  retryAfterSeconds: true,
} satisfies Record<keyof HandlerOptions, true>)

interface RenderedPair {
  get: HealthResponse
  head: HealthResponse
}

/**
 * Creates the framework-agnostic request handler. Every HTTP decision (routes, methods, auth, status
 * codes, headers, rendering) lives here so that every adapter answers byte for byte alike.
 */
export function createHandler(health: Health, options: HandlerOptions = {}): HealthHandler {
  // Duck-typed: `instanceof` fails across two copies of this package. Checked here, not at the first request.
  if (typeof health?.evaluate !== 'function' || typeof health.has !== 'function') {
    throw new TypeError(
      `Expected \`health\` to be a Health created by createHealth(), got ${describeValue(health)}`,
    )
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected handler options to be an object, got ${describeValue(options)}`)
  }
  readOptions('createHandler', options, HANDLER_OPTION_KEYS)
  const path = normalizeMountPath(options.path ?? '/health')
  const details = oneOf<DetailsMode>(
    'details',
    options.details,
    ['never', 'authorized', 'always'],
    'authorized',
  )
  const retryAfter = String(positiveInteger('retryAfterSeconds', options.retryAfterSeconds ?? 5))
  // An empty variable (`HEALTHGATE_ADMIN_TOKEN=` in a compose file) means unset: the admin API stays off.
  const token = options.adminToken ?? (process.env.HEALTHGATE_ADMIN_TOKEN || undefined)
  if (token !== undefined && (typeof token !== 'string' || token.length === 0)) {
    throw new TypeError('Expected `adminToken` to be a non-empty string')
  }
  const tokenDigest = token ? digest(token) : undefined
  const prefix = path === '/' ? '' : path
  const rendered = new WeakMap<HealthReport, { anonymous?: RenderedPair; detailed?: RenderedPair }>()

  const healthHeaders = (status: number, length: number): Record<string, string> => {
    const headers: Record<string, string> = {
      'content-type': HEALTH_CONTENT_TYPE,
      'cache-control': 'no-store',
      'content-length': String(length),
    }
    if (status === 503) headers['retry-after'] = retryAfter
    return headers
  }

  const isAuthorized = (request: HealthRequest): boolean => {
    if (!tokenDigest) return false
    const header = request.headers.authorization
    const value = Array.isArray(header) ? header[0] : header
    if (typeof value !== 'string') return false
    const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(value)
    if (!match?.[1]) return false
    return timingSafeEqual(digest(match[1]), tokenDigest)
  }

  const renderReport = (report: HealthReport, detailed: boolean, head: boolean): HealthResponse => {
    let entry = rendered.get(report)
    if (!entry) {
      entry = {}
      rendered.set(report, entry)
    }
    const slot = detailed ? 'detailed' : 'anonymous'
    let pair = entry[slot]
    if (!pair) {
      const body = JSON.stringify(toHealthJson(report, health, { detailed }))
      const headers = Object.freeze(healthHeaders(report.httpStatus, Buffer.byteLength(body)))
      pair = {
        get: { status: report.httpStatus, headers, body },
        head: { status: report.httpStatus, headers, body: '' },
      }
      entry[slot] = pair
    }
    return head ? pair.head : pair.get
  }

  // Consecutive readiness requests from one prober (nearly all of them under load) reuse its id string
  // instead of building and hashing a new one per request.
  let lastProber: { address: string | undefined; agent: string | undefined; id: string } | undefined
  const proberId = (request: HealthRequest): string => {
    const header = request.headers['user-agent']
    const agent = Array.isArray(header) ? header[0] : header
    const address = request.remoteAddress
    const last = lastProber
    if (last !== undefined && last.address === address && last.agent === agent) return last.id
    const id = `${address ?? 'unknown'} ${agent ?? ''}`.trim()
    lastProber = { address, agent, id }
    return id
  }

  const answerProbe = (
    request: HealthRequest,
    route: 'ready' | 'live' | 'startup',
    head: boolean,
    report: HealthReport,
    now: number,
  ): HealthResponse => {
    if (route === 'ready') health.recordProbe(proberId(request), report.httpStatus, now)
    const detailed = details === 'always' || (details === 'authorized' && isAuthorized(request))
    return renderReport(report, detailed, head)
  }

  const probe = (
    request: HealthRequest,
    route: 'ready' | 'live' | 'startup',
    query: string,
  ): Promise<HealthResponse> | HealthResponse => {
    const method = upperCase(request.method)
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(PROBE_METHODS)
    let exclude = NO_EXCLUDE
    if (query.length > 0) {
      exclude = parseExclude(query)
      for (const name of exclude) {
        if (!health.has(name)) return jsonError(400, `Unknown check "${truncate(name)}" in \`exclude\``)
      }
    }
    const head = method === 'HEAD'
    // A cached report is answered without a promise chain: this is every request but one per TTL.
    const now = performance.now()
    const cached = health.cachedReport(route, exclude, now)
    if (cached) return answerProbe(request, route, head, cached, now)
    return health
      .evaluate({ probe: route, exclude })
      .then((report) => answerProbe(request, route, head, report, performance.now()))
  }

  const oneCheck = async (request: HealthRequest, encodedName: string): Promise<HealthResponse> => {
    const method = upperCase(request.method)
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(PROBE_METHODS)
    let name: string
    try {
      name = decodeURIComponent(encodedName)
    } catch {
      return jsonError(400, 'Malformed check name in path')
    }
    if (!health.has(name)) return jsonError(404, `Unknown check "${truncate(name)}"`)
    const report = await health.evaluateCheck(name)
    return renderReport(
      report,
      details === 'always' || (details === 'authorized' && isAuthorized(request)),
      method === 'HEAD',
    )
  }

  const maintenance = async (request: HealthRequest): Promise<HealthResponse> => {
    if (!tokenDigest) return jsonError(404, 'Not found')
    const method = upperCase(request.method)
    if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') return methodNotAllowed(ADMIN_METHODS)
    if (!isAuthorized(request)) {
      return json(
        401,
        { status: 401, error: 'A valid Bearer token is required' },
        { 'www-authenticate': 'Bearer realm="healthgate"' },
      )
    }
    if (method === 'PUT') {
      const parsed = await readReason(request)
      if ('error' in parsed) {
        // The rest of an oversized body is never read: closing is the only way to stop the client sending it.
        if (parsed.status === 413) {
          return json(413, { status: 413, error: parsed.error }, { connection: 'close' })
        }
        return jsonError(parsed.status, parsed.error)
      }
      await health.enterMaintenance(parsed.reason)
    } else if (method === 'DELETE') {
      await health.leaveMaintenance()
    }
    return json(200, health.maintenanceStatus())
  }

  const respond = (
    request: HealthRequest,
  ): HealthResponse | undefined | Promise<HealthResponse | undefined> => {
    let response: ReturnType<typeof route>
    try {
      response = route(request)
    } catch (error) {
      return Promise.reject(error)
    }
    return response instanceof Promise
      ? response.then((value) => withoutHeadBody(request, value))
      : withoutHeadBody(request, response)
  }

  return {
    path,
    respond,
    handle(request) {
      const response = respond(request)
      return response instanceof Promise ? response : Promise.resolve(response)
    },
  }

  function route(request: HealthRequest): Promise<HealthResponse | undefined> | HealthResponse | undefined {
    const url = typeof request.url === 'string' ? request.url : ''
    // What load balancers ask for, answered without taking the target apart.
    if (url === path) return probe(request, 'ready', '')
    const queryAt = url.indexOf('?')
    const pathname = stripOrigin(queryAt === -1 ? url : url.slice(0, queryAt))
    const query = queryAt === -1 ? '' : url.slice(queryAt + 1)
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return undefined
    let sub = pathname.slice(prefix.length)
    if (sub.length > 1 && sub.endsWith('/')) sub = sub.slice(0, -1)
    switch (sub) {
      case '':
      case '/':
      case '/ready':
        return probe(request, 'ready', query)
      case '/live':
        return probe(request, 'live', query)
      case '/startup':
        return probe(request, 'startup', query)
      case '/maintenance':
        return maintenance(request)
    }
    if (sub.startsWith('/checks/') && sub.indexOf('/', 8) === -1 && sub.length > 8) {
      return oneCheck(request, sub.slice(8))
    }
    return jsonError(404, 'Not found')
  }
}

/** HEAD never carries a body, error answers included; the headers keep the GET body's length. */
function withoutHeadBody(
  request: HealthRequest,
  response: HealthResponse | undefined,
): HealthResponse | undefined {
  if (response && response.body !== '' && upperCase(request.method) === 'HEAD')
    return { ...response, body: '' }
  return response
}

/** The method in upper case, as the routes compare it; without a new string for the common ones. */
function upperCase(method: string): string {
  return method === 'GET' || method === 'HEAD' ? method : method.toUpperCase()
}

function normalizeMountPath(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new TypeError(`Expected \`path\` to be a URL path starting with '/', got ${describeValue(path)}`)
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

function stripOrigin(target: string): string {
  if (target.startsWith('/')) return target
  // Absolute-form request targets (proxies) carry scheme and host.
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(target)
  return match ? (match[1] ?? '/') : target
}

function parseExclude(query: string): string[] {
  const names: string[] = []
  for (const [key, value] of new URLSearchParams(query)) {
    if (key !== 'exclude') continue
    for (const name of value.split(',')) {
      const trimmed = name.trim()
      if (trimmed && !names.includes(trimmed)) names.push(trimmed)
    }
  }
  return names
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value
}

function json(status: number, payload: unknown, extra?: Record<string, string>): HealthResponse {
  const body = JSON.stringify(payload)
  return {
    status,
    headers: {
      'content-type': JSON_CONTENT_TYPE,
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(body)),
      ...extra,
    },
    body,
  }
}

function jsonError(status: number, message: string): HealthResponse {
  return json(status, { status, error: message })
}

function methodNotAllowed(allow: string): HealthResponse {
  return json(405, { status: 405, error: 'Method not allowed' }, { allow })
}

type ReasonResult = { reason: string | undefined } | { status: number; error: string }

async function readReason(request: HealthRequest): Promise<ReasonResult> {
  const declared = request.headers['content-length']
  const length = Number(Array.isArray(declared) ? declared[0] : declared)
  if (Number.isFinite(length) && length > MAX_ADMIN_BODY_BYTES) return tooLarge()
  let bytes: Uint8Array | 'too-large'
  try {
    bytes = await readBody(request.body)
  } catch {
    // An upload aborted half-way, or a stream that errored: nothing usable arrived.
    return { status: 400, error: 'Could not read the request body' }
  }
  if (bytes === 'too-large') return tooLarge()
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return { status: 400, error: 'Body is not valid UTF-8' }
  }
  if (text.trim() === '') return { reason: undefined }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { status: 400, error: 'Body is not valid JSON' }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { status: 400, error: 'Body must be a JSON object like {"reason": "deploy 1.4.2"}' }
  }
  for (const key of Object.keys(parsed)) {
    if (key !== 'reason')
      return { status: 400, error: `Unknown field "${truncate(key)}"; only "reason" is accepted` }
  }
  const { reason } = parsed as { reason?: unknown }
  if (reason === undefined) return { reason: undefined }
  if (typeof reason !== 'string')
    return { status: 400, error: `Expected \`reason\` to be a string, got ${describeValue(reason)}` }
  if (reason.length > MAX_REASON_LENGTH) {
    return {
      status: 400,
      error: `Expected \`reason\` to be at most ${MAX_REASON_LENGTH} characters, got ${reason.length}`,
    }
  }
  if (CONTROL_CHARACTERS.test(reason))
    return { status: 400, error: 'Expected `reason` without control characters' }
  return { reason: reason.trim() || undefined }
}

function tooLarge(): ReasonResult {
  return { status: 413, error: `Body exceeds ${MAX_ADMIN_BODY_BYTES} bytes` }
}

// Past this, stop draining an oversized streamed body and let the server drop the connection.
const DRAIN_LIMIT = 1024 * 1024

async function readBody(body: HealthRequest['body']): Promise<Uint8Array | 'too-large'> {
  if (body === undefined || body === null) return new Uint8Array(0)
  if (typeof body === 'string') {
    const bytes = Buffer.from(body, 'utf8')
    return bytes.length > MAX_ADMIN_BODY_BYTES ? 'too-large' : bytes
  }
  if (body instanceof Uint8Array) return body.length > MAX_ADMIN_BODY_BYTES ? 'too-large' : body
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
    size += buffer.length
    if (size <= MAX_ADMIN_BODY_BYTES) chunks.push(buffer)
    else if (size > DRAIN_LIMIT) break
  }
  return size > MAX_ADMIN_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)
}
