import type { HandlerOptions, Health, HealthHandler } from '@healthgate/core'
import { createHandlerFor, HANDLER_OPTION_KEYS } from '@healthgate/core/adapter'
import { createFetchHandler } from '@healthgate/core/fetch'
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
  const addressOf = remoteAddress ?? runtimeAddress
  const handler = createHandlerFor('healthgate', health, handlerOptions)
  const { respond } = createFetchHandler(health, handler)
  const middleware = (c: Context, next: Next): Response | Promise<Response | undefined> => {
    const response = respond(c.req.raw, addressOf(c))
    // A cached answer goes back without a promise; Hono awaits whatever a middleware returns.
    if (response instanceof Promise) return response.then((value) => value ?? passOn(next))
    return response ?? passOn(next)
  }
  return Object.assign(middleware as MiddlewareHandler, { handler })
}

async function passOn(next: Next): Promise<undefined> {
  await next()
  return undefined
}

interface Bindings {
  /** @hono/node-server: the Node request (directly, or under `server` with some setups). */
  incoming?: { socket?: { remoteAddress?: string } }
  /** Bun.serve: the server is the bindings (or under `server`). */
  requestIP?: (request: Request) => { address: string } | null
  /** Deno.serve: the handler info. */
  remoteAddr?: { hostname?: string }
  server?: Bindings
}

/** The caller's address from the runtime's bindings, as Hono's per-runtime `getConnInfo` helpers read it. */
export function runtimeAddress(c: Context): string | undefined {
  const env = c.env as Bindings | undefined
  if (!env || typeof env !== 'object') return undefined
  const bindings = env.server && typeof env.server === 'object' ? env.server : env
  try {
    if (bindings.incoming) return bindings.incoming.socket?.remoteAddress
    if (typeof bindings.requestIP === 'function') return bindings.requestIP(c.req.raw)?.address
    return env.remoteAddr?.hostname
  } catch {
    return undefined
  }
}
