// @healthgate/core/fetch: the health routes as a Web-standard `(Request) => Response` handler, for
// Bun.serve, Deno.serve, Hono and anything else that answers HTTP with the Fetch API's Request and Response.
// It imports no Node built-in itself; the core it shares runs on Bun and Deno through their Node
// compatibility (node:crypto, node:net).
import { createHandlerFor, type HandlerOptions, type HealthHandler, isHealthHandler } from '../handler.js'
import type { Health } from '../health.js'
import type { HealthRequest, HealthResponse } from '../http/types.js'

/**
 * What a runtime knows about a request beyond the request itself. Pass the caller's address so that drain
 * confirmation can tell load-balancer probers apart: Bun's `server.requestIP(request)?.address`, Deno's
 * `info.remoteAddr.hostname`, Hono's `getConnInfo(c).remote.address`.
 */
export interface FetchInfo {
  /** The caller's IP address. Without it, probers are told apart by their User-Agent only. */
  remoteAddress?: string | undefined
  /**
   * Answers a request outside the health routes (the app's own routes). Default: a plain-text 404.
   */
  next?: (() => Response | Promise<Response>) | undefined
}

/** A fetch handler serving the health routes. */
export interface FetchHandler {
  (request: Request, info?: FetchInfo): Response | Promise<Response>
  /**
   * The answer to a health request, or `undefined` for any other path, for composing with a router.
   * A cached answer comes back synchronously (no promise). Never throws.
   */
  respond(request: Request, remoteAddress?: string): Response | undefined | Promise<Response | undefined>
  /** The core handler it shares with the other adapters. */
  readonly handler: HealthHandler
}

const INTERNAL_ERROR = JSON.stringify({ status: 500, error: 'Internal error' })

/**
 * Serves the health routes (`/health/ready`, `/health/live`, `/health/startup`, the maintenance admin API)
 * as a fetch handler, with the same HTTP contract as every other adapter: it shares the core handler.
 *
 * ```ts
 * const fetch = createFetchHandler(health)
 * Bun.serve({ fetch: (request, server) => fetch(request, { remoteAddress: server.requestIP(request)?.address }) })
 * Deno.serve((request, info) => fetch(request, { remoteAddress: info.remoteAddr.hostname }))
 * ```
 *
 * Requests outside the mount path go to `info.next()` when given, else get a plain-text 404.
 */
export function createFetchHandler(health: Health, options?: HandlerOptions | HealthHandler): FetchHandler {
  const handler = isHealthHandler(options) ? options : createHandlerFor('createFetchHandler', health, options)
  const respond = (request: Request, remoteAddress?: string) =>
    answer(handler, toHealthRequest(request, remoteAddress))
  const serve = (request: Request, info?: FetchInfo): Response | Promise<Response> => {
    const response = respond(request, info?.remoteAddress)
    if (response instanceof Promise) return response.then((value) => value ?? notFound(info))
    return response ?? notFound(info)
  }
  return Object.assign(serve, { respond, handler })
}

/**
 * The handler's answer to a request as a Response, `undefined` outside the health routes. A cached answer
 * comes back synchronously. For adapters that build the HealthRequest themselves. Never throws.
 */
export function answer(
  handler: HealthHandler,
  request: HealthRequest,
): Response | undefined | Promise<Response | undefined> {
  let result: ReturnType<HealthHandler['respond']>
  try {
    result = handler.respond(request)
  } catch {
    return internalError()
  }
  const finish = (value: HealthResponse | undefined) => {
    // An answer that closes the connection (a refused upload) leaves the body unread: say so to the
    // runtime by taking the stream, or Deno adds a second `Connection: close` of its own.
    if (value?.headers.connection !== undefined) void request.body
    return toResponse(value)
  }
  // A cached answer is built in the same tick it was asked for.
  return result instanceof Promise ? result.then(finish, internalError) : finish(result)
}

/** Maps a fetch Request to the core handler's input. For adapters built on fetch Requests (Hono). */
export function toHealthRequest(
  request: Request,
  remoteAddress?: string,
  bodySource: BodySource = request,
): HealthRequest {
  const { url } = request
  // The request target: the path and query of the absolute URL, without parsing it.
  const start = url.indexOf('/', url.indexOf('//') + 2)
  return new LazyBodyRequest(
    request.method,
    start === -1 ? '/' : url.slice(start),
    new Proxy(request.headers, HEADERS) as unknown as HealthRequest['headers'],
    bodySource,
    remoteAddress,
  )
}

/** Where a request's body is read from: the fetch Request, or a framework's wrapper that caches it. */
export interface BodySource {
  readonly body: Request['body'] | AsyncIterable<Uint8Array | string>
}

/**
 * A HealthRequest whose body is read from a fetch Request only when the core asks for it (`PUT
 * /maintenance`): touching `body` costs on some servers (@hono/node-server then builds the full Request).
 */
export class LazyBodyRequest implements HealthRequest {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: HealthRequest['headers'],
    private readonly request: BodySource,
    readonly remoteAddress: string | undefined,
  ) {}

  get body(): HealthRequest['body'] {
    return this.request.body as HealthRequest['body']
  }
}

// The core reads a few headers by lower-case name: look each up in the Headers object when read, rather
// than copying every header into an object on every request.
const HEADERS: ProxyHandler<Headers> = {
  get: (headers, name) => (typeof name === 'string' ? (headers.get(name) ?? undefined) : undefined),
}

/** Turns a core answer into a Response: the body is already serialised, and empty for HEAD. */
export function toResponse(result: HealthResponse): Response
export function toResponse(result: HealthResponse | undefined): Response | undefined
export function toResponse(result: HealthResponse | undefined): Response | undefined {
  if (!result) return undefined
  return new Response(result.body === '' ? null : result.body, {
    status: result.status,
    headers: result.headers,
  })
}

/** A 500 without details: the core handler never throws by design, this guards the guarantee. */
export function internalError(): Response {
  return new Response(INTERNAL_ERROR, {
    status: 500,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(INTERNAL_ERROR.length),
    },
  })
}

function notFound(info: FetchInfo | undefined): Response | Promise<Response> {
  if (info?.next) return info.next()
  return new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}
