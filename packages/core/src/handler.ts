import type { Health } from './health.js'
import { createAdminRoute } from './http/admin.js'
import { createAuth, MIN_ADMIN_TOKEN_LENGTH } from './http/auth.js'
import { createProbeRoutes, type DetailsMode } from './http/probes.js'
import { createReportRenderer, withoutHeadBody } from './http/response.js'
import { createRouter, type RouterMode } from './http/router.js'
import { createAuthThrottle } from './http/throttle.js'
import type { HealthRequest, HealthResponse } from './http/types.js'
import { normalizeMountPath } from './http/url.js'
import { optionReader } from './primitives/options.js'

export type { DetailsMode } from './http/probes.js'

/** Options of {@link createHandler}, shared by every adapter (mount path, admin token, details mode...). */
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
  /**
   * Whether this handler serves the maintenance admin API. `false` when it is served on a separate, private
   * listener (`createAdminListener()`): every method on `/maintenance` then answers 404 here. Default: true.
   */
  adminRoutes?: boolean
  /**
   * Accept an admin token shorter than 16 characters. For tests only: a short token can be guessed.
   * Default: false (a short token throws at startup).
   */
  allowShortAdminToken?: boolean
  /**
   * Failed authentication attempts allowed per remote address within `authFailureWindowMs`; the next
   * admin requests from that address get 429 with `Retry-After` for `authFailureWindowMs`. Default: 10.
   */
  authFailureLimit?: number
  /** The window of `authFailureLimit`, and how long an address stays blocked, in ms. Default: 60000. */
  authFailureWindowMs?: number
}

/** The framework-agnostic request handler: adapters hand it a request and write the answer it returns. */
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

/** The names `createHandler` accepts, for adapters that take them beside options of their own. */
export const HANDLER_OPTION_KEYS: readonly string[] = Object.freeze(
  // Spelt out as an object so that the compiler flags an option missing here.
  Object.keys({
    path: true,
    details: true,
    adminToken: true,
    retryAfterSeconds: true,
    adminRoutes: true,
    allowShortAdminToken: true,
    authFailureLimit: true,
    authFailureWindowMs: true,
  } satisfies Record<keyof HandlerOptions, true>),
)

/**
 * Creates the framework-agnostic request handler. Every HTTP decision (routes, methods, auth, status
 * codes, headers, rendering) lives here so that every adapter answers byte for byte alike.
 */
export function createHandler(health: Health, options?: HandlerOptions): HealthHandler {
  return createHandlerFor('createHandler', health, options)
}

/**
 * `createHandler()` for an adapter that hands its options on: a bad option is reported under `owner`,
 * the name the app called (e.g. `healthRouter`), in the one option-error format.
 */
export function createHandlerFor(
  owner: string,
  health: Health,
  options?: HandlerOptions,
  mode: RouterMode = 'all',
): HealthHandler {
  const read = optionReader(owner)
  // Duck-typed: `instanceof` fails across two copies of this package. Checked here, not at the first request.
  if (typeof health?.evaluate !== 'function' || typeof health.has !== 'function') {
    read.fail('health', 'a Health created by createHealth()', health)
  }
  const given = read.object(options, HANDLER_OPTION_KEYS) as HandlerOptions
  const path = normalizeMountPath(read, given.path ?? '/health')
  const details = read.oneOf<DetailsMode>(
    'details',
    given.details,
    ['never', 'authorized', 'always'],
    'authorized',
  )
  const retryAfter = String(read.positiveInteger('retryAfterSeconds', given.retryAfterSeconds, 5))
  // An empty variable (`HEALTHGATE_ADMIN_TOKEN=` in a compose file) means unset: the admin API stays off.
  const fromEnv = given.adminToken === undefined
  const token = read.nonEmptyString(
    'adminToken',
    given.adminToken ?? (process.env.HEALTHGATE_ADMIN_TOKEN || undefined),
  )
  const allowShort = read.boolean('allowShortAdminToken', given.allowShortAdminToken, false)
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_LENGTH && !allowShort) {
    // The length only: the token itself never goes into a message.
    throw new TypeError(
      `${read.owner}(): the admin token (${fromEnv ? 'HEALTHGATE_ADMIN_TOKEN' : '`adminToken`'}) is ${token.length} ` +
        `characters long; it must be at least ${MIN_ADMIN_TOKEN_LENGTH} (e.g. \`openssl rand -hex 32\`)`,
    )
  }
  const serveAdmin = read.boolean('adminRoutes', given.adminRoutes, true)
  if (mode === 'admin' && token === undefined) {
    read.fail('adminToken', 'set (or HEALTHGATE_ADMIN_TOKEN) for an admin listener', token)
  }
  const throttle = createAuthThrottle(
    read.positiveInteger('authFailureLimit', given.authFailureLimit, 10),
    read.positiveNumber('authFailureWindowMs', given.authFailureWindowMs, 60_000),
    (address, blockedForMs, failures) =>
      health.adminEvent({ action: 'throttled', address, blockedForMs, failures }),
  )

  const auth = createAuth(token, throttle)
  const probes = createProbeRoutes({
    health,
    details,
    isAuthorized: auth.isAuthorized,
    render: createReportRenderer(health, retryAfter),
  })
  const route = createRouter(
    path,
    probes,
    serveAdmin || mode === 'admin' ? createAdminRoute(health, auth) : undefined,
    mode,
  )

  const respond = (request: HealthRequest): ReturnType<HealthHandler['respond']> => {
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
}

/** Whether `value` is a handler already (adapters take one in place of options). Duck-typed. */
export function isHandler(value: unknown): value is HealthHandler {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as HealthHandler).handle === 'function' &&
    typeof (value as HealthHandler).respond === 'function'
  )
}
