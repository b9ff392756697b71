/** Health statuses from the IETF health-check draft (draft-inadarei-api-health-check-06). */
export type Status = 'pass' | 'warn' | 'fail'

/** Which probe a check belongs to. `ready` is readiness (`/health`, `/health/ready`). */
export type Probe = 'live' | 'ready' | 'startup'

/** One extra measurement of a component, rendered under the key `"<check>:<measurement>"`. */
export interface Measurement {
  observedValue: unknown
  observedUnit?: string
  /** Default: the status of the check. */
  status?: Status
}

/**
 * What a check function may resolve with. Resolving (with nothing, or with this object) passes;
 * throwing or rejecting fails. A check may downgrade itself to `warn` by resolving `{ status: 'warn' }`.
 */
export interface CheckOutcome {
  /** Default: `'pass'`. A check never resolves `'fail'`: it throws instead. */
  status?: 'pass' | 'warn'
  /** Human-readable explanation, shown only to authorized callers. */
  output?: string
  /** The primary observed value. Default: the run's duration. */
  observedValue?: unknown
  /** Unit of `observedValue`. Default: `'ms'` when `observedValue` is the duration. */
  observedUnit?: string
  /** Name of the primary measurement. Default: the check's `measurement`, else `'responseTime'`. */
  measurement?: string
  /** Further measurements of the same component, keyed by measurement name. */
  measurements?: Record<string, Measurement>
}

/** The function at the heart of a check. Stop work when `signal` aborts (the deadline passed). */
export type CheckFunction = (signal: AbortSignal) => Promise<CheckReturn> | CheckReturn

// biome-ignore lint/suspicious/noConfusingVoidType: a check may be written as `async () => {}`
type CheckReturn = CheckOutcome | undefined | void

/** Options every check takes (deadline, cache, criticality, tags, hysteresis, background refresh). */
export interface CheckOptions {
  /** A failing non-critical check degrades the aggregate to `warn` (HTTP 200). Default: `true`. */
  critical?: boolean
  /** Hard deadline of one run in ms. Default: the health's `defaultTimeoutMs` (800). */
  timeoutMs?: number
  /** How long a result is reused before the check runs again, in ms. Default: the health's `defaultCacheTtlMs` (1000). */
  cacheTtlMs?: number
  /**
   * Run in the background every `intervalMs` (jittered by up to 10 %) instead of on demand.
   * Requests then only read the latest result. Default: `undefined` (on demand, cached).
   */
  intervalMs?: number
  /** Probes this check belongs to. Default: `['ready']`. */
  tags?: readonly Probe[]
  /** Consecutive failures before a passing check is reported as failing. Default: 1. */
  failureThreshold?: number
  /** Consecutive successes before a failing check is reported as passing. Default: 1. */
  successThreshold?: number
  /** IETF `componentType`, e.g. `'datastore'`, `'system'`, `'component'`. Default: `'component'`. */
  componentType?: string
  /** IETF `componentId`. Default: none. */
  componentId?: string
  /** Name of the primary measurement. Default: `'responseTime'`. */
  measurement?: string
}

/** A check: a name, its function and its options, as `createHealth({ checks })` takes it. */
export interface CheckDefinition extends CheckOptions {
  /** Unique name: letters, digits, `.`, `_`, `-`; used in URLs and in the rendered keys. */
  name: string
  check: CheckFunction
  /** Releases what the check owns (its own connection, a histogram). Called by `health.remove()` and `health.close()`. */
  close?: () => void | Promise<void>
}

/** The reported result of one check after hysteresis. */
export interface CheckResult {
  name: string
  status: Status
  critical: boolean
  componentType: string
  componentId?: string
  measurement: string
  observedValue?: unknown
  observedUnit?: string
  measurements?: Record<string, Measurement>
  /** Explanation (sanitised: first line only, credentials in URLs removed). */
  output?: string
  /** ISO time the result was observed. */
  time: string
  /** Duration of the run that produced this result, in ms. */
  durationMs: number
  /** Consecutive raw failures / successes behind this result (hysteresis counters). */
  consecutiveFailures: number
  consecutiveSuccesses: number
}

/** Where an instance is in its life: starting, ready, draining (maintenance or shutdown), stopped. */
export type LifecycleState = 'starting' | 'ready' | 'draining' | 'stopped'

/** Whether maintenance is on, why, since when and from where. */
export interface MaintenanceState {
  enabled: boolean
  reason?: string
  /** ISO time maintenance was entered. */
  since?: string
  /** Where this state came from, e.g. `'memory'`, `'file'`, `'redis'`. */
  source: string
  /** Whether the flag covers this instance only or the whole fleet (stores that share state, e.g. Redis). */
  scope?: 'instance' | 'fleet'
  /** Set when the store could not confirm the state (e.g. Redis unreachable: last known state kept). */
  stale?: boolean
  /** Explanation accompanying `stale`. */
  note?: string
}

/**
 * Where the maintenance flag lives. `read()` is on the hot path of every readiness request: it must be
 * synchronous and cheap (serve a cached value; refresh it in the background).
 */
export interface MaintenanceStore {
  /** The current state, synchronously (stores keep it cached). */
  read(): MaintenanceState
  /** Enter (`enabled: true`) or leave maintenance. Resolves once the new state is readable via `read()`. */
  set(enabled: boolean, reason?: string): Promise<void>
  /**
   * Called with every change of `read()`'s value. Returns a disposer. A subscriber that throws must neither
   * break the store nor keep the others from hearing the change (the built-in stores use `Listeners`).
   */
  subscribe?(listener: (state: MaintenanceState) => void): () => void
  /** Stops the store's timers and connections. */
  close?(): Promise<void> | void
}

/** The result of one evaluation of a probe: aggregate status and every check result. */
export interface HealthReport {
  status: Status
  /** 200 for pass/warn, 503 for fail. */
  httpStatus: 200 | 503
  probe: Probe | 'check'
  state: LifecycleState
  maintenance: MaintenanceState
  /** Top-level explanation when the status is not decided by checks (maintenance, starting, draining). */
  output?: string
  checks: CheckResult[]
}

/** Options of `health.evaluate()`. */
export interface EvaluateOptions {
  /** Default: `'ready'`. */
  probe?: Probe
  /** Names of checks to leave out. Unknown names throw a `TypeError`. */
  exclude?: readonly string[]
}
