import {
  attachHealth,
  type HandlerOptions,
  type Health,
  installShutdown,
  type ShutdownOptions,
} from '@healthgate/core'
import {
  createHandlerFor,
  HANDLER_OPTION_KEYS,
  type HealthRequest,
  type HealthResponse,
  remoteAddressOf,
} from '@healthgate/core/adapter'
import { optionReader } from '@healthgate/core/primitives'
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify'
import fp from 'fastify-plugin'

export { tuneForLoadBalancer } from '@healthgate/core'

declare module 'fastify' {
  interface FastifyInstance {
    /** The health registered with `@healthgate/fastify`. */
    health: Health
  }
}

/** Options of the Fastify plugin: the Health to serve, and every handler option. */
export interface HealthgateOptions extends HandlerOptions {
  /** The health to serve, from `createHealth()`. Required. */
  health: Health
  /**
   * Path the health routes answer under, below the prefix of the scope the plugin is registered in.
   * Default: `'/health'`.
   */
  path?: string
  /** Close the health when Fastify closes (`onClose`). Default: `true`. */
  closeHealth?: boolean
  /**
   * Graceful shutdown on SIGTERM/SIGINT (`installShutdown()`): drain until the load balancers confirm it,
   * then `fastify.close()` (in-flight requests finish, `onClose` hooks run), then the `onShutdown` hooks,
   * then exit. `true` for the defaults, or the options of `installShutdown()` without `server` and `close`.
   * The signal handlers are removed when Fastify closes. Default: `false`.
   */
  shutdown?: boolean | Omit<ShutdownOptions, 'server' | 'close'>
  /**
   * Also answer the health routes on `fastify.server` itself, before Fastify routes the request
   * (`attachHealth()`): a probe then costs what it costs on `node:http`. Fastify's hooks, logging and
   * plugins (auth, CORS, rate limits) do not see those requests; `fastify.inject()` still goes through the
   * plugin's routes. Every other request is left to Fastify untouched. Default: `false`.
   */
  fastPath?: boolean
}

/** The name option errors are reported under: `healthgate plugin: unknown option ...`. */
const OWNER = 'healthgate plugin'
const PLUGIN_OPTION_KEYS: readonly string[] = [
  // Spelt out as an object so that the compiler flags an option missing here.
  ...Object.keys({
    health: true,
    closeHealth: true,
    shutdown: true,
    fastPath: true,
  } satisfies Record<Exclude<keyof HealthgateOptions, keyof HandlerOptions>, true>),
  ...HANDLER_OPTION_KEYS,
]

const plugin: FastifyPluginAsync<HealthgateOptions> = async (fastify, options) => {
  const read = optionReader(OWNER)
  const {
    health,
    path = '/health',
    closeHealth,
    shutdown = false,
    fastPath,
    ...handlerOptions
  } = read.object(options, PLUGIN_OPTION_KEYS) as unknown as HealthgateOptions
  if (typeof health?.evaluate !== 'function' || typeof health.close !== 'function') {
    read.fail('health', 'a Health created by createHealth()', health)
  }
  // Fastify would read `:name` and `*` as route parameters and wildcards.
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#*:\s]/.test(path)) {
    read.fail('path', "a URL path starting with '/', without ':' or '*'", path)
  }
  const closesHealth = read.boolean('closeHealth', closeHealth, true)
  if (typeof shutdown !== 'boolean' && (shutdown === null || typeof shutdown !== 'object')) {
    read.fail('shutdown', 'a boolean or the options of installShutdown()', shutdown)
  }
  const onServer = read.boolean('fastPath', fastPath, false)
  const mount = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  // The core matches the whole request path, so it needs the prefix of the scope we are registered in too.
  const handler = createHandlerFor(OWNER, health, {
    ...handlerOptions,
    path: joinPaths(fastify.prefix, mount),
  })

  fastify.decorate('health', health)
  // The same handler as the routes below: one auth throttle, whichever way a request comes in. Fastify
  // installed its listener on the server when it created it (also with `serverFactory`).
  if (onServer) attachHealth(fastify.server, health, handler)
  // The app's logger, as Fastify users expect; a logger given to createHealth() wins. A health closed with the
  // app keeps it to the end, so that the last shutdown steps are logged too.
  if (!health.logs) {
    const restore = health.useLogger(fastify.log)
    if (!closesHealth) fastify.addHook('onClose', async () => restore())
  }
  if (closesHealth) {
    fastify.addHook('onClose', async () => {
      await health.close()
    })
  }
  if (shutdown) {
    const controller = installShutdown(health, {
      ...(shutdown === true ? {} : shutdown),
      server: fastify.server,
      close: () => fastify.close(),
    })
    fastify.addHook('onClose', async () => controller.dispose())
  }

  // Not async: a cached answer (nearly every request) is sent in the same tick, without a promise.
  const respond = (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> | undefined => {
    const healthRequest: HealthRequest = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: isAsyncIterable(request.body) ? request.body : request.raw,
      remoteAddress: remoteAddressOf(request.raw.socket),
    }
    const result = handler.respond(healthRequest)
    if (result instanceof Promise) return result.then((value) => send(reply, value))
    send(reply, result)
    return undefined
  }

  // Fastify refuses a Content-Type that is not a media type (415) and a QUERY without one (400) before
  // any handler runs. The core ignores Content-Type, so these are answered before Fastify's body handling.
  // Callback style: this runs on every health request, and the common case must not allocate a promise.
  const answerEarly = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const refused =
      request.headers['content-type'] === undefined
        ? request.method === 'QUERY'
        : isInvalidMediaType(request.mediaType)
    if (!refused) {
      done()
      return
    }
    // Answered here: Fastify expects `done` not to be called once the hook has sent the reply.
    respond(request, reply)?.catch((error: unknown) => done(error as Error))
  }

  // fastify-plugin shares this plugin's scope with the app; the routes and their body parser live in a
  // child scope so that the parser never applies to the app's own routes.
  await fastify.register(async (scope: FastifyInstance) => {
    // The core reads and limits the body itself (4 KiB, any content type): hand it the untouched stream
    // so that Fastify's JSON parser and body limit never answer instead of it.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
    // Every method goes to the core, which answers 405 with `Allow`; HEAD explicitly, not Fastify's
    // automatic HEAD route, so that it is answered by the same code as GET. Fastify reads no body for
    // GET and HEAD, so their routes, the probes' hot path, need no `onRequest` hook.
    const probeMethods = ['GET', 'HEAD']
    const otherMethods = scope.supportedMethods.filter((method) => !probeMethods.includes(method))
    for (const url of [mount, mount === '/' ? '/*' : `${mount}/*`]) {
      scope.route({ method: probeMethods, url, exposeHeadRoute: false, handler: respond })
      scope.route({ method: otherMethods, url, onRequest: answerEarly, handler: respond })
    }
  })
}

function send(reply: FastifyReply, result: HealthResponse | undefined): FastifyReply {
  if (!result) {
    reply.callNotFound()
    return reply
  }
  reply.code(result.status)
  // Header by header rather than `reply.headers()`: `type()` stores Content-Type as it is, where `header()`
  // lower-cases the name first. Content-Length is left to Fastify where there is a body (it measures the
  // payload it sends anyway); a HEAD answer keeps the GET body's. This runs on every health request.
  const headers = result.headers
  const hasBody = result.body !== ''
  for (const name in headers) {
    const value = headers[name] as string
    if (name === 'content-type') reply.type(value)
    else if (!(hasBody && name === 'content-length')) reply.header(name, value)
  }
  // The body is serialised already. With a serializer set, Fastify hands a string body to it instead of
  // parsing the JSON media type and looking for its charset parameter on every request.
  return reply.serializer(asIs).send(result.body)
}

/** Fastify 5.12 reports a Content-Type that is not a media type as `undefined`; 5.11 as `'/'`. */
function isInvalidMediaType(mediaType: string | undefined): boolean {
  return mediaType === undefined || mediaType === '/'
}

function asIs(payload: string): string {
  return payload
}

function joinPaths(scopePrefix: string, path: string): string {
  if (!scopePrefix) return path
  return path === '/' ? scopePrefix : `${scopePrefix}${path}`
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value
}

/**
 * Serves the health routes under `path` (default `/health`), decorates `fastify.health` and closes the
 * health with Fastify. `fastify.register(healthgate, { health })`.
 */
export const healthgate = fp(plugin, { fastify: '5.x', name: '@healthgate/fastify' })
export default healthgate
