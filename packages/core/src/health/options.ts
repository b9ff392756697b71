import { memoryMaintenance } from '../maintenance.js'
import { defaultOnError, type ErrorHandler } from '../primitives/listeners.js'
import { optionReader } from '../primitives/options.js'
import type { RunnerDefaults } from '../runner.js'
import type { CheckDefinition, MaintenanceStore } from '../types.js'
import type { HealthFleet } from './fleet.js'
import type { HealthLogger } from './log.js'
import { createProberMatcher, type ProberMatcher, type ProberMatchOptions } from './prober-match.js'

/** Options of {@link createHealth}. */
export interface HealthOptions {
  /** Checks to start with; more can be added with `health.add()`. Default: none. */
  checks?: readonly CheckDefinition[]
  /**
   * Deadline of a check run when the check sets none, in ms. Default: 800, so that a readiness request
   * is answered within 1 s (Kubernetes' default probe timeout) even when a dependency hangs.
   */
  defaultTimeoutMs?: number
  /** How long a result is reused when the check sets no `cacheTtlMs`, in ms. Default: 1000. */
  defaultCacheTtlMs?: number
  /** IETF `version` of the service. Default: none. */
  version?: string
  /** IETF `releaseId`. Default: none. */
  releaseId?: string
  /** IETF `serviceId`. Default: none. */
  serviceId?: string
  /** IETF `description`. Default: none. */
  description?: string
  /** Where the maintenance flag lives. Default: `memoryMaintenance()`. */
  maintenance?: MaintenanceStore
  /**
   * `'auto'`: startup completes once the checks tagged `startup` pass (at once when there are none).
   * `'manual'`: startup completes when `health.markStarted()` is called. Default: `'auto'`.
   */
  startup?: 'auto' | 'manual'
  /**
   * Consecutive readiness 503s each load-balancer prober must have seen before a drain counts as confirmed.
   * Match the balancer's unhealthy threshold (HAProxy `fall`, ALB `UnhealthyThresholdCount`, Kubernetes
   * `failureThreshold`). Default: 2.
   */
  unhealthyThreshold?: number
  /**
   * A prober not seen for this long is forgotten, in ms. It bounds how long a prober that asked once and never
   * again (a `curl`, a script) can hold up drain confirmation; a prober that asked repeatedly stops holding it
   * up once it missed three of its own intervals. Keep it above the balancer's check interval. Default: 60000.
   */
  proberTtlMs?: number
  /**
   * Which identities are load balancers from their first readiness request (others must first probe
   * periodically: three requests at a consistent interval). Default: the usual balancers' User-Agents
   * (`DEFAULT_PROBER_USER_AGENTS`); `{ defaults: false }` turns them off.
   */
  probers?: ProberMatchOptions
  /** Receives errors thrown by event listeners and store callbacks. Default: `process.emitWarning`. */
  onError?: (error: unknown) => void
  /**
   * Logs every check transition, readiness change, maintenance change, drain step and shutdown step once,
   * with fields (pino-compatible: `info`/`warn`/`error` taking `(fields, message)`; pino, `fastify.log` or
   * `console`). A flapping check logs at most 5 transitions a minute. Without it nothing is logged except
   * the first failure of a check caused by a programming error or an unresolvable host (`console.warn`).
   * Default: none.
   */
  logger?: HealthLogger
  /**
   * The fleet this instance belongs to (`redisFleet()` from @healthgate/redis): publishes this instance's
   * state, gates maintenance with a disruption budget, may hold readiness at 200 under a panic threshold.
   * Closed by `health.close()`. Default: none.
   */
  fleet?: HealthFleet
}

/** The options of a health, validated, with their defaults. */
export interface HealthSettings {
  checks: readonly CheckDefinition[]
  defaults: RunnerDefaults
  version: string | undefined
  releaseId: string | undefined
  serviceId: string | undefined
  description: string | undefined
  maintenance: MaintenanceStore
  startup: 'auto' | 'manual'
  unhealthyThreshold: number
  proberTtlMs: number
  matchProber: ProberMatcher
  onError: ErrorHandler
  logger: HealthLogger | undefined
  fleet: HealthFleet | undefined
}

const read = optionReader('createHealth')
/** The option names of `createHealth()`, for wrappers that take them among their own (e.g. a Nest module). */
// Spelt out as an object so that the compiler flags an option missing here.
export const HEALTH_OPTION_KEYS: readonly string[] = Object.keys({
  checks: true,
  defaultTimeoutMs: true,
  defaultCacheTtlMs: true,
  version: true,
  releaseId: true,
  serviceId: true,
  description: true,
  maintenance: true,
  startup: true,
  unhealthyThreshold: true,
  proberTtlMs: true,
  probers: true,
  onError: true,
  logger: true,
  fleet: true,
} satisfies Record<keyof HealthOptions, true>)

/** Validates the options of `createHealth()`: a `TypeError` names the offending option. */
export function readHealthOptions(options: HealthOptions | undefined): HealthSettings {
  const given = read.object(options, HEALTH_OPTION_KEYS) as HealthOptions
  const onError = read.func<ErrorHandler>('onError', given.onError) ?? defaultOnError
  const store = given.maintenance ?? memoryMaintenance({ onError })
  if (typeof store?.read !== 'function' || typeof store.set !== 'function') {
    read.fail('maintenance', 'a MaintenanceStore with `read()` and `set()`', store)
  }
  if (given.checks !== undefined && !Array.isArray(given.checks))
    read.fail('checks', 'an array', given.checks)
  return {
    checks: given.checks ?? [],
    defaults: {
      timeoutMs: read.positiveNumber('defaultTimeoutMs', given.defaultTimeoutMs, 800),
      cacheTtlMs: read.positiveNumber('defaultCacheTtlMs', given.defaultCacheTtlMs, 1000),
    },
    version: read.string('version', given.version),
    releaseId: read.string('releaseId', given.releaseId),
    serviceId: read.string('serviceId', given.serviceId),
    description: read.string('description', given.description),
    maintenance: store,
    startup: read.oneOf('startup', given.startup, ['auto', 'manual'], 'auto'),
    unhealthyThreshold: read.positiveInteger('unhealthyThreshold', given.unhealthyThreshold, 2),
    proberTtlMs: read.positiveNumber('proberTtlMs', given.proberTtlMs, 60_000),
    matchProber: createProberMatcher(given.probers),
    onError,
    logger: readLogger(given.logger),
    fleet: readFleet(given.fleet),
  }
}

export function readLogger(logger: unknown): HealthLogger | undefined {
  if (logger === undefined) return undefined
  const candidate = logger as Partial<HealthLogger> | null
  if (
    typeof candidate?.info !== 'function' ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.error !== 'function'
  ) {
    read.fail('logger', 'a logger with `info()`, `warn()` and `error()` methods (pino, console)', logger)
  }
  return candidate as HealthLogger
}

function readFleet(fleet: unknown): HealthFleet | undefined {
  if (fleet === undefined) return undefined
  const candidate = fleet as Partial<HealthFleet> | null
  if (
    typeof candidate?.attach !== 'function' ||
    typeof candidate.admitMaintenance !== 'function' ||
    typeof candidate.panic !== 'function'
  ) {
    read.fail('fleet', 'a fleet such as `redisFleet()` (`attach()`, `admitMaintenance()`, `panic()`)', fleet)
  }
  return candidate as HealthFleet
}
