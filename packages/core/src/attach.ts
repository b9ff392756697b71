// The fast path: the health routes answered on the server's `request` event, before the app's listener.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createHandlerFor, type HandlerOptions, type HealthHandler, isHealthHandler } from './handler.js'
import type { Health } from './health.js'
import type { HealthResponse } from './http/types.js'
import { toHealthRequest, writeHealthResponse, writeInternalError } from './node.js'
import { optionReader } from './primitives/options.js'
import { isRequestObserver } from './server-observers.js'

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void
type NewListener = (event: string | symbol, listener: RequestListener) => void
/** What `rawListeners()` holds for a `once` listener: a wrapper naming the listener it wraps. */
type OnceWrapper = RequestListener & { listener?: unknown }
interface Taken {
  listener: RequestListener
  once: boolean
}

/**
 * What the fast path needs of a server: a `node:http` or `node:https` server (Express's `app.listen()`,
 * `fastify.server`, Nest's `app.getHttpServer()`), or an `http2` server in compatibility mode.
 */
export interface FastPathServer {
  /** The `request` listeners, the app's among them. */
  listeners(event: 'request'): unknown[]
  /** The `request` listeners with their `once` wrappers, when the server has them (every EventEmitter). */
  rawListeners?(event: 'request'): unknown[]
  /** Adds a one-time `request` listener: how detaching puts back a `once` listener not yet called. */
  once?(event: 'request', listener: RequestListener): unknown
  /** Adds a `request` listener. */
  on(event: 'request', listener: RequestListener): unknown
  /** Adds the `newListener` listener that catches an app listener added later. */
  on(event: 'newListener', listener: NewListener): unknown
  /** Removes a `request` listener. */
  removeListener(event: 'request', listener: RequestListener): unknown
  /** Removes the `newListener` listener. */
  removeListener(event: 'newListener', listener: NewListener): unknown
}

/** Removes the fast path: the app's `request` listeners are back on the server, in their order. */
export interface DetachHealth {
  (): void
  /** The core handler answering the fast-path requests. */
  readonly handler: HealthHandler
}

/**
 * Answers the health routes on the server itself, before the app's framework sees the request: the
 * server's `request` listeners (the framework's) are taken off and called by the fast path for every
 * request outside the health routes, untouched. A health request never reaches them: no router, body
 * parser, logging, auth or CORS middleware, framework hooks; the answer is byte for byte the adapters'.
 * `options` are the handler's (`path`, `adminRoutes`, ...) or a handler from `createHandler()`.
 * A `request` listener added after this call is moved behind the fast path too. Returns the detach
 * function.
 *
 * ```ts
 * const server = app.listen(3000)
 * const detach = attachHealth(server, health)
 * ```
 */
export function attachHealth(
  server: FastPathServer,
  health: Health,
  options?: HandlerOptions | HealthHandler,
): DetachHealth {
  const read = optionReader('attachHealth')
  if (
    server === null ||
    typeof server !== 'object' ||
    typeof server.listeners !== 'function' ||
    typeof server.on !== 'function' ||
    typeof server.removeListener !== 'function'
  ) {
    read.fail('server', 'a node:http server (e.g. the result of `app.listen()`)', server)
  }
  const handler = isHealthHandler(options) ? options : createHandlerFor('attachHealth', health, options)
  // A request whose target starts with '/' (all but absolute-form ones) and not with this is not ours.
  const prefix = handler.path === '/' ? '/' : handler.path

  // The app's listeners, unwrapped; a `once` one is called for one request and then dropped, as before.
  let app: Taken[] = []
  let observers: RequestListener[] = []
  const take = (listener: RequestListener) => {
    const raw = (server.rawListeners?.('request') ?? []) as OnceWrapper[]
    const once = raw.some((entry) => entry !== listener && entry.listener === listener)
    server.removeListener('request', listener)
    app.push({ listener, once })
    observers = app.map((entry) => entry.listener).filter(isRequestObserver)
  }

  const passOn = (request: IncomingMessage, response: ServerResponse): void => {
    const listeners = app
    if (listeners.some((entry) => entry.once)) app = app.filter((entry) => !entry.once)
    for (const { listener } of listeners) listener.call(server, request, response)
  }
  const write = (response: ServerResponse, result: HealthResponse): void => {
    try {
      writeHealthResponse(response, result)
    } catch {
      writeInternalError(response)
    }
  }
  const fastPath: RequestListener = (request, response) => {
    const url = request.url ?? '/'
    if (url.charCodeAt(0) === 47 && !url.startsWith(prefix)) {
      passOn(request, response)
      return
    }
    const result = handler.respond(toHealthRequest(request, url))
    if (result === undefined) {
      passOn(request, response)
      return
    }
    // The shutdown's tracking sees the request first, so that a closing server answers `Connection: close`.
    for (const observer of observers) observer.call(server, request, response)
    if (result instanceof Promise) {
      result.then(
        // A path outside the routes is refused synchronously; a promise always brings an answer.
        (value) => (value ? write(response, value) : passOn(request, response)),
        () => writeInternalError(response),
      )
    } else write(response, result)
  }

  for (const listener of server.listeners('request') as RequestListener[]) take(listener)
  server.on('request', fastPath)
  // An app listener added later would see every request, the fast path's too, and answer them twice.
  const onNewListener: NewListener = (event, listener) => {
    if (event !== 'request' || listener === fastPath || isRequestObserver(listener)) return
    // 'newListener' fires before the listener is added; it is moved once it is there.
    queueMicrotask(() => {
      if (server.listeners('request').includes(listener)) take(listener)
    })
  }
  server.on('newListener', onNewListener)

  let attached = true
  const detach = () => {
    if (!attached) return
    attached = false
    server.removeListener('newListener', onNewListener)
    server.removeListener('request', fastPath)
    for (const { listener, once } of app) {
      if (once && server.once) server.once('request', listener)
      else server.on('request', listener)
    }
  }
  return Object.assign(detach, { handler })
}
