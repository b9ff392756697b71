import type { HandlerOptions, Health, HealthOptions, ShutdownOptions } from '@healthgate/core'
import { HANDLER_OPTION_KEYS, HEALTH_OPTION_KEYS } from '@healthgate/core/adapter'
import { optionReader } from '@healthgate/core/primitives'

/**
 * What the shutdown hooks do on a signal: the options of `installShutdown()` that apply inside Nest. Nest owns
 * the signals (`app.enableShutdownHooks()`), closes the server and exits, so `signals`, `server`, `close` and
 * `exit` are not among them.
 */
export type HealthgateShutdownOptions = Pick<
  ShutdownOptions,
  'maxDrainMs' | 'drainPollMs' | 'closeTimeoutMs' | 'onShutdown' | 'logger'
>

/** The options that belong to the module itself, whichever way the health is given. */
export interface HealthgateModuleOwnOptions extends HandlerOptions {
  /**
   * Drain on a shutdown signal before Nest closes the HTTP server (needs `app.enableShutdownHooks()`): readiness
   * answers 503 until the load balancers confirm it or `maxDrainMs` passed, then in-flight requests finish.
   * `true` for the defaults of `installShutdown()`, `false` to skip the drain. Default: `true`.
   */
  shutdown?: boolean | HealthgateShutdownOptions
  /** Close the health when the application closes; a shutdown by signal always closes it. Default: `true`. */
  closeHealth?: boolean
  /**
   * Fastify platform: answer the health routes on the server, before Fastify routes the request (the plugin's
   * `fastPath`; see `attachHealth()` in @healthgate/core). On the Express platform the health routes are always
   * answered this way, ahead of Express. Default: `false`.
   */
  fastPath?: boolean
}

/**
 * Options of {@link HealthgateModule.forRoot}: either a `health` made with `createHealth()`, or the options of
 * `createHealth()` (`checks`, `version`, ...) for the module to make one; plus the handler options (`path`,
 * `adminToken`, `details`, ...) and the module's own ones.
 */
export interface HealthgateModuleOptions extends HealthgateModuleOwnOptions, HealthOptions {
  /** A health made with `createHealth()`; then no `createHealth()` option may be given. Default: none. */
  health?: Health
}

/** The module's options, read and split by who takes them. */
export interface ResolvedOptions {
  health: Health
  handler: HandlerOptions
  shutdown: HealthgateShutdownOptions | false
  closeHealth: boolean
  fastPath: boolean
}

/** The name option errors are reported under: `HealthgateModule.forRoot(): unknown option ...`. */
export const OWNER = 'HealthgateModule.forRoot'
const OWN_KEYS = Object.keys({
  health: true,
  shutdown: true,
  closeHealth: true,
  fastPath: true,
} satisfies Record<Exclude<keyof HealthgateModuleOptions, keyof HandlerOptions | keyof HealthOptions>, true>)
const KEYS: readonly string[] = [...OWN_KEYS, ...HANDLER_OPTION_KEYS, ...HEALTH_OPTION_KEYS]
const SHUTDOWN_KEYS = Object.keys({
  maxDrainMs: true,
  drainPollMs: true,
  closeTimeoutMs: true,
  onShutdown: true,
  logger: true,
} satisfies Record<keyof HealthgateShutdownOptions, true>)

/** Checks the names (and the module's own values) of `options`; values of the rest are checked by their owners. */
export function checkOptions(options: unknown): HealthgateModuleOptions {
  const read = optionReader(OWNER)
  const given = read.object(options, KEYS) as HealthgateModuleOptions
  const { health, shutdown } = given
  if (health !== undefined) {
    if (typeof health?.evaluate !== 'function' || typeof health.close !== 'function') {
      read.fail('health', 'a Health created by createHealth()', health)
    }
    const healthOption = HEALTH_OPTION_KEYS.find((key) => key in given)
    if (healthOption) {
      throw new TypeError(
        `${OWNER}(): \`${healthOption}\` is an option of createHealth(); with \`health\` given, pass it to createHealth() instead`,
      )
    }
  }
  if (shutdown !== undefined && typeof shutdown !== 'boolean') {
    if (shutdown === null || typeof shutdown !== 'object') {
      read.fail('shutdown', 'a boolean or the options of installShutdown()', shutdown)
    }
    optionReader(`${OWNER} shutdown`).object(shutdown, SHUTDOWN_KEYS)
  }
  read.boolean('closeHealth', given.closeHealth, true)
  read.boolean('fastPath', given.fastPath, false)
  return given
}

/** Splits checked options by who takes them, making the health when none is given. */
export function resolveOptions(
  options: HealthgateModuleOptions,
  createHealth: (options: HealthOptions) => Health,
): ResolvedOptions {
  const given = checkOptions(options)
  const handler: Record<string, unknown> = {}
  const healthOptions: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(given)) {
    if (HANDLER_OPTION_KEYS.includes(key)) handler[key] = value
    else if (HEALTH_OPTION_KEYS.includes(key)) healthOptions[key] = value
  }
  const { shutdown = true, closeHealth = true, fastPath = false } = given
  return {
    fastPath,
    health: given.health ?? createHealth(healthOptions as HealthOptions),
    handler: handler as HandlerOptions,
    shutdown: shutdown === true ? {} : shutdown,
    closeHealth,
  }
}
