import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { createHandlerFor, type HandlerOptions, type HealthHandler, isHandler } from './handler.js'
import type { Health } from './health.js'
import type { HealthResponse } from './http/types.js'
import { optionReader } from './primitives/options.js'

/** A `node:http` request listener, as `createServer()` takes it. */
export type NodeListener = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void

/** Maps a Node request to the core handler's input. Adapters built on Node requests (Express) reuse it. */
export function toHealthRequest(request: IncomingMessage, url = request.url ?? '/') {
  return {
    method: request.method ?? 'GET',
    url,
    headers: request.headers,
    body: request,
    remoteAddress: remoteAddressOf(request.socket),
  }
}

// A connection's peer address never changes, and Node looks it up anew on every read (a few hundred
// instructions per request on a keep-alive connection). Weak: an entry goes with its socket.
const addresses = new WeakMap<Socket, string>()

/** The peer address of a request's socket, looked up once per connection. For adapters. */
export function remoteAddressOf(socket: Socket | null | undefined): string | undefined {
  if (!socket) return undefined
  let address = addresses.get(socket)
  if (address === undefined) {
    address = socket.remoteAddress
    if (address !== undefined) addresses.set(socket, address)
  }
  return address
}

/** Writes a handler response to a Node response. */
export function writeHealthResponse(response: ServerResponse, result: HealthResponse): void {
  response.writeHead(result.status, result.headers)
  response.end(result.body)
}

const INTERNAL_ERROR = JSON.stringify({ status: 500, error: 'Internal error' })

/** Answers 500 without details: the handler never throws by design, this guards the guarantee. */
export function writeInternalError(response: ServerResponse): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(500, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(INTERNAL_ERROR)),
  })
  response.end(INTERNAL_ERROR)
}

/**
 * A `node:http` request listener serving the health routes. Requests outside the mount path go to
 * `next` when given (connect-style), else get a plain 404.
 */
export function createNodeListener(
  health: Health,
  options?: HandlerOptions | HealthHandler,
): NodeListener & { handler: HealthHandler } {
  const handler = isHandler(options) ? options : createHandlerFor('createNodeListener', health, options)
  const listener = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => {
    const result = handler.respond(toHealthRequest(request))
    // A cached answer is written in the same tick it was asked for.
    if (result instanceof Promise) {
      result.then(
        (value) => finish(response, value, next),
        () => writeInternalError(response),
      )
    } else finish(response, result, next)
  }
  return Object.assign(listener, { handler })
}

/**
 * A `node:http` request listener serving only the maintenance admin API (`<path>/maintenance`), for a
 * separate listener bound to a private interface; every other path answers 404. Pair it with
 * `adminRoutes: false` on the public handler. Throws when no admin token is configured.
 *
 * ```ts
 * http.createServer(createNodeListener(health, { adminRoutes: false })).listen(3000)
 * http.createServer(createAdminListener(health)).listen(9000, '10.0.0.5')
 * ```
 */
export function createAdminListener(
  health: Health,
  options?: HandlerOptions,
): NodeListener & { handler: HealthHandler } {
  return createNodeListener(health, createHandlerFor('createAdminListener', health, options, 'admin'))
}

function finish(
  response: ServerResponse,
  result: HealthResponse | undefined,
  next: ((error?: unknown) => void) | undefined,
): void {
  if (result) {
    // Only a failed write becomes a 500: an error thrown by `next` belongs to the caller's framework.
    try {
      writeHealthResponse(response, result)
    } catch {
      writeInternalError(response)
    }
  } else if (next) next()
  else {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '9' })
    response.end('Not Found')
  }
}

/** Options of {@link tuneForLoadBalancer}. */
export interface TuneOptions {
  /** The load balancer's idle timeout in seconds (AWS ALB: 60). Default: 60. */
  idleTimeoutSeconds?: number
}

const TUNE_OPTION_KEYS = Object.keys({ idleTimeoutSeconds: true } satisfies Record<keyof TuneOptions, true>)

/**
 * Keeps Node from closing keep-alive connections before the load balancer does. Node's 5 s
 * `keepAliveTimeout` under a balancer with a 60 s idle timeout makes the balancer reuse sockets Node
 * already closed: intermittent 502s. Sets `keepAliveTimeout` above the idle timeout and
 * `headersTimeout` above that.
 */
export function tuneForLoadBalancer<T extends Pick<Server, 'keepAliveTimeout' | 'headersTimeout'>>(
  server: T,
  options?: TuneOptions,
): T {
  const read = optionReader('tuneForLoadBalancer')
  const { idleTimeoutSeconds } = read.object(options, TUNE_OPTION_KEYS) as TuneOptions
  const idle = read.positiveNumber('idleTimeoutSeconds', idleTimeoutSeconds, 60)
  server.keepAliveTimeout = (idle + 5) * 1000
  server.headersTimeout = server.keepAliveTimeout + 1000
  const withRequestTimeout = server as T & { requestTimeout?: number }
  // Node rejects a requestTimeout below headersTimeout; 0 (disabled) is fine.
  if (withRequestTimeout.requestTimeout && withRequestTimeout.requestTimeout < server.headersTimeout) {
    withRequestTimeout.requestTimeout = server.headersTimeout + 1000
  }
  return server
}
