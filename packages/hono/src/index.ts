import type { IncomingMessage } from 'node:http'
import type { HandlerOptions, Health, HealthHandler } from '@healthgate/core'
import type { HealthRequest } from '@healthgate/core/adapter'
import { createHandlerFor, HANDLER_OPTION_KEYS, remoteAddressOf } from '@healthgate/core/adapter'
import { answer, LazyBodyRequest, toHealthRequest } from '@healthgate/core/fetch'
import { optionReader } from '@healthgate/core/primitives'
import type { Context, MiddlewareHandler, Next } from 'hono'

/** Options of {@link healthgate}: the core handler's options, plus where the caller's address comes from. */
export interface HealthgateOptions extends HandlerOptions {
  /**
   * The caller's IP address, used by drain confirmation to tell load-balancer probers apart. Default: read
   * from the runtime's bindings the way Hono's `getConnInfo` does on @hono/node-server, Bun and Deno;
   * `undefined` elsewhere. Pass `(c) => getConnInfo(c).remote.address` with the helper of another runtime.
   */
  remoteAddress?: (c: Context) => string | undefined
}

/** Hono middleware serving the health routes. */
export type HealthgateMiddleware = MiddlewareHandler & {
  /** The core handler answering the requests. */
  readonly handler: HealthHandler
}

const OPTION_KEYS = [...HANDLER_OPTION_KEYS, 'remoteAddress']

/**
 * Creates Hono middleware that answers the health routes under `options.path` (default `/health`) and
 * passes every other request on with `next()`. Works wherever Hono runs: Node (@hono/node-server), Bun,
 * Deno.
 *
 * ```ts
 * const app = new Hono()
 * app.use(healthgate(health))
 * ```
 */
export function healthgate(health: Health, options?: HealthgateOptions): HealthgateMiddleware {
  const read = optionReader('healthgate')
  const { remoteAddress, ...handlerOptions } = read.object(options, OPTION_KEYS) as HealthgateOptions
  if (remoteAddress !== undefined && typeof remoteAddress !== 'function') {
    read.fail('remoteAddress', 'a function (c) => string | undefined', remoteAddress)
  }
  const handler = createHandlerFor('healthgate', health, handlerOptions)
  const middleware = (c: Context, next: Next): Response | Promise<Response | undefined> => {
    const response = answer(handler, healthRequestOf(c, remoteAddress))
    // A cached answer goes back without a promise; Hono awaits whatever a middleware returns.
    if (response instanceof Promise) return response.then((value) => value ?? passOn(next))
    return response ?? passOn(next)
  }
  return Object.assign(middleware as MiddlewareHandler, { handler })
}

/**
 * The core handler's input. On @hono/node-server, straight from the Node request (its headers object, no
 * Fetch API Headers built); elsewhere from the fetch Request.
 */
function healthRequestOf(c: Context, remoteAddress: HealthgateOptions['remoteAddress']): HealthRequest {
  const incoming = nodeIncoming(c)
  const address = remoteAddress ? remoteAddress(c) : runtimeAddress(c)
  const body = new HonoBody(c)
  if (!incoming) return toHealthRequest(c.req.raw, address, body)
  return new LazyBodyRequest(
    incoming.method ?? c.req.raw.method,
    incoming.url ?? '/',
    incoming.headers,
    body,
    address,
  )
}

/**
 * The body of `PUT /health/maintenance`: the request's stream, or, when a middleware before this one
 * already read it through Hono (`c.req.json()`, a validator), Hono's cached copy of it.
 */
class HonoBody {
  constructor(private readonly c: Context) {}

  get body(): Request['body'] | AsyncIterable<string> {
    const { raw } = this.c.req
    if (!raw.bodyUsed) return raw.body
    const req = this.c.req
    return (async function* () {
      yield await req.text()
    })()
  }
}

async function passOn(next: Next): Promise<undefined> {
  await next()
  return undefined
}

interface Bindings {
  /** @hono/node-server: the Node request (directly, or under `server` with some setups). */
  incoming?: Pick<IncomingMessage, 'method' | 'url' | 'headers' | 'socket'>
  /** Bun.serve: the server is the bindings (or under `server`). */
  requestIP?: (request: Request) => { address: string } | null
  /** Deno.serve: the handler info. */
  remoteAddr?: { hostname?: string }
  server?: Bindings
}

function bindingsOf(c: Context): Bindings | undefined {
  const env = c.env as Bindings | undefined
  if (!env || typeof env !== 'object') return undefined
  return env.server && typeof env.server === 'object' ? env.server : env
}

function nodeIncoming(c: Context): Bindings['incoming'] {
  const incoming = bindingsOf(c)?.incoming
  return incoming && typeof incoming === 'object' && typeof incoming.headers === 'object'
    ? incoming
    : undefined
}

/** The caller's address from the runtime's bindings, as Hono's per-runtime `getConnInfo` helpers read it. */
export function runtimeAddress(c: Context): string | undefined {
  const bindings = bindingsOf(c)
  if (!bindings) return undefined
  try {
    // Looked up once per connection: Node asks the kernel anew on every read of socket.remoteAddress.
    if (bindings.incoming) return remoteAddressOf(bindings.incoming.socket)
    if (typeof bindings.requestIP === 'function') return bindings.requestIP(c.req.raw)?.address
    return bindings.remoteAddr?.hostname
  } catch {
    return undefined
  }
}
