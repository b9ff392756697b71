import type { HandlerOptions, Health, HealthHandler } from '@healthgate/core'
import {
  createHandlerFor,
  type HealthRequest,
  type HealthResponse,
  toHealthRequest,
  writeHealthResponse,
} from '@healthgate/core/adapter'
import type { NextFunction, Request, Response } from 'express'

export type { DetachHealth, FastPathServer } from '@healthgate/core'
export { attachHealth, tuneForLoadBalancer } from '@healthgate/core'

/**
 * Options of `healthRouter()`: the core handler's options. `path` is the full request path the health
 * routes answer under, as clients see it, wherever the router is mounted. Default: `'/health'`.
 */
export type HealthRouterOptions = HandlerOptions

/** Express middleware serving the health routes; hand it to `app.use()` or `router.use()`. */
export interface HealthRouter {
  (request: Request, response: Response, next: NextFunction): void
  /** The core handler answering the requests. */
  readonly handler: HealthHandler
}

/**
 * Creates Express middleware (Express 4 and 5) that serves the health routes under `options.path`
 * (default `/health`) and passes every other request on with `next()`.
 *
 * The path is matched against `req.originalUrl`, so it is the full path clients request:
 * `app.use(healthRouter(health))` and `app.use('/health', healthRouter(health))` both serve `/health`;
 * under `app.use('/api', ...)` pass `{ path: '/api/health' }`.
 */
export function healthRouter(health: Health, options?: HealthRouterOptions): HealthRouter {
  const handler = createHandlerFor('healthRouter', health, options)
  let warnedAboutMount = false
  const router = (request: Request, response: Response, next: NextFunction): void => {
    if (!warnedAboutMount && request.baseUrl && !overlaps(request.baseUrl, handler.path)) {
      warnedAboutMount = true
      process.emitWarning(
        `healthRouter is mounted at "${request.baseUrl}" but serves "${handler.path}", which is outside that ` +
          `mount and never matches; \`path\` is the full request path, e.g. "${request.baseUrl}/health".`,
      )
    }
    const healthRequest: HealthRequest = {
      ...toHealthRequest(request, request.originalUrl),
      body: bodyOf(request),
    }
    const result = handler.respond(healthRequest)
    // A throw in `finish` reaches Express's error handling: synchronously, or through `catch(next)`.
    if (result instanceof Promise) result.then((value) => finish(response, value, next)).catch(next)
    else finish(response, result, next)
  }
  return Object.assign(router, { handler })
}

function finish(response: Response, result: HealthResponse | undefined, next: NextFunction): void {
  if (result) writeHealthResponse(response, result)
  else next()
}

function bodyOf(request: Request): HealthRequest['body'] {
  if (!request.readableEnded) return request
  // A body parser mounted before this router (e.g. express.json()) already drained the stream.
  const parsed: unknown = request.body
  if (typeof parsed === 'string' || parsed instanceof Uint8Array) return parsed
  if (parsed === undefined || parsed === null) return ''
  return JSON.stringify(parsed)
}

function overlaps(mount: string, path: string): boolean {
  const within = (inner: string, outer: string) =>
    outer === '/' ||
    inner === outer ||
    inner.startsWith(`${outer.endsWith('/') ? outer.slice(0, -1) : outer}/`)
  return within(path, mount) || within(mount, path)
}
