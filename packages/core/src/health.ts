import { readOptions } from './checks/common.js'
import { memoryMaintenance } from './maintenance.js'
import { CheckRunner, type RunnerDefaults } from './runner.js'
import { describeValue } from './sanitize.js'
import { installShutdown, type ShutdownController, type ShutdownOptions } from './shutdown.js'
import type {
  CheckDefinition,
  CheckResult,
  EvaluateOptions,
  HealthReport,
  LifecycleState,
  MaintenanceState,
  MaintenanceStore,
  Probe,
  Status,
} from './types.js'
import { oneOf, positiveInteger, positiveNumber, stringOption } from './validate.js'

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
  /** Receives errors thrown by event listeners and store callbacks. Default: `process.emitWarning`. */
  onError?: (error: unknown) => void
}

export interface CheckChangeEvent {
  name: string
  previous: Status | undefined
  current: Status
  result: CheckResult
}

export interface StatusChangeEvent {
  probe: 'ready'
  previous: Status
  current: Status
}

/** A client that asked for readiness: remote address plus User-Agent, e.g. one node of a load balancer. */
export interface Prober {
  id: string
  /** Readiness 503s answered to it in a row (any 200 resets it). */
  consecutive503: number
  /** ISO time of its latest readiness request. */
  lastSeen: string
}

export interface DrainStatus {
  /** True while maintenance is on or a shutdown drains the instance. */
  draining: boolean
  /**
   * Draining, and every active prober that has seen this instance healthy has since seen `unhealthyThreshold`
   * consecutive 503s (or none is around). A prober is active until it is silent for three of its own check
   * intervals, or for `proberTtlMs`. A prober that never got a 200 is not waited for: no balancer routes to a
   * target it has only seen failing (HAProxy marks a server down at its first failed check after a restart).
   */
  drained: boolean
  /** The active probers, the ones `drained` waits for. */
  probers: Prober[]
}

export interface WaitForDrainOptions {
  /** Give up after this many ms and resolve `{ drained: false }`. */
  maxMs: number
  /** How often to re-check, in ms. Default: 100. */
  pollMs?: number
  /** Stops waiting early (resolves, never rejects). */
  signal?: AbortSignal
}

export interface DrainWaitResult {
  drained: boolean
  waitedMs: number
}

export interface MaintenanceStatus extends MaintenanceState, DrainStatus {}

interface ProberState {
  consecutive503: number
  /** `performance.now()` of the latest request: monotonic, for the arithmetic. */
  lastSeen: number
  /** Estimated check interval; undefined until the prober asked twice. */
  intervalMs: number | undefined
  /** Got a 200 at least once: it may be routing traffic here. */
  sawHealthy: boolean
}

// Spelt out as an object so that the compiler flags an option missing here.
const HEALTH_OPTION_KEYS = Object.keys({
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
  onError: true,
} satisfies Record<keyof HealthOptions, true>)

const MAX_PROBERS = 256
/** A prober silent for this many of its own intervals has gone away (or can no longer reach us). */
const MISSED_INTERVALS = 3
/** Slack on top of the missed intervals, for balancers with fast checks and jitter. */
const QUIET_SLACK_MS = 1000

/** A set of checks, the lifecycle of the instance, and its maintenance flag. Create with `createHealth()`. */
export class Health {
  readonly version: string | undefined
  readonly releaseId: string | undefined
  readonly serviceId: string | undefined
  readonly description: string | undefined
  readonly unhealthyThreshold: number
  readonly proberTtlMs: number

  readonly #defaults: RunnerDefaults
  readonly #runners = new Map<string, CheckRunner>()
  readonly #maintenance: MaintenanceStore
  readonly #startupMode: 'auto' | 'manual'
  readonly #onError: (error: unknown) => void
  readonly #checkListeners = new Set<(event: CheckChangeEvent) => void>()
  readonly #statusListeners = new Set<(event: StatusChangeEvent) => void>()
  readonly #probers = new Map<string, ProberState>()
  readonly #reportCache = new Map<string, CachedReport>()
  readonly #evaluations = new Map<string, InflightReport>()
  readonly #unsubscribeMaintenance: (() => void) | undefined
  #started = false
  #draining = false
  #stopped = false
  // Bumped by lifecycle changes (startup, draining, checks added or removed); results are compared by identity.
  #generation = 0
  #lastReadyStatus: Status | undefined

  constructor(options: HealthOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`Expected options to be an object, got ${describeValue(options)}`)
    }
    // A misspelt option (`cacheTtlMs` for `defaultCacheTtlMs`) would otherwise be ignored without a word.
    readOptions('createHealth', options, HEALTH_OPTION_KEYS)
    this.#defaults = {
      timeoutMs: positiveNumber('defaultTimeoutMs', options.defaultTimeoutMs ?? 800),
      cacheTtlMs: positiveNumber('defaultCacheTtlMs', options.defaultCacheTtlMs ?? 1000),
    }
    this.version = stringOption('version', options.version)
    this.releaseId = stringOption('releaseId', options.releaseId)
    this.serviceId = stringOption('serviceId', options.serviceId)
    this.description = stringOption('description', options.description)
    this.unhealthyThreshold = positiveInteger('unhealthyThreshold', options.unhealthyThreshold ?? 2)
    this.proberTtlMs = positiveNumber('proberTtlMs', options.proberTtlMs ?? 60_000)
    this.#startupMode = oneOf('startup', options.startup, ['auto', 'manual'], 'auto')
    this.#onError =
      options.onError ??
      ((error) =>
        process.emitWarning(
          `healthgate listener error: ${error instanceof Error ? error.message : String(error)}`,
        ))
    const store = options.maintenance ?? memoryMaintenance()
    if (typeof store?.read !== 'function' || typeof store.set !== 'function') {
      throw new TypeError('Expected `maintenance` to be a MaintenanceStore with `read()` and `set()`')
    }
    this.#maintenance = store
    if (options.checks !== undefined && !Array.isArray(options.checks)) {
      throw new TypeError(`Expected \`checks\` to be an array, got ${describeValue(options.checks)}`)
    }
    // Validate everything before starting any background work.
    const runners = (options.checks ?? []).map((definition) => this.#createRunner(definition))
    const names = new Set<string>()
    for (const runner of runners) {
      if (names.has(runner.name)) throw new TypeError(`Duplicate check name "${runner.name}"`)
      names.add(runner.name)
    }
    for (const runner of runners) this.#install(runner)
    this.#unsubscribeMaintenance = store.subscribe?.(() => this.#changed())
    this.#maybeAutoStart()
  }

  /** Adds a check. Throws a `TypeError` for an invalid definition or a duplicate name. */
  add(definition: CheckDefinition): this {
    if (this.#stopped) throw new Error('Cannot add a check to a closed health')
    const runner = this.#createRunner(definition)
    if (this.#runners.has(runner.name)) throw new TypeError(`Duplicate check name "${runner.name}"`)
    this.#install(runner)
    return this
  }

  /** Removes a check and releases what it owns. Resolves `false` when there was no such check. */
  async remove(name: string): Promise<boolean> {
    const runner = this.#runners.get(name)
    if (!runner) return false
    this.#runners.delete(name)
    this.#changed()
    await runner.close()
    return true
  }

  /** Names of the registered checks. */
  get checkNames(): string[] {
    return [...this.#runners.keys()]
  }

  has(name: string): boolean {
    return this.#runners.has(name)
  }

  get state(): LifecycleState {
    if (this.#stopped) return 'stopped'
    if (this.#draining || this.#maintenance.read().enabled) return 'draining'
    return this.#started ? 'ready' : 'starting'
  }

  /** The current maintenance flag (synchronous, cheap). */
  get maintenance(): MaintenanceState {
    return this.#maintenance.read()
  }

  /** True once startup completed (see the `startup` option). */
  get started(): boolean {
    return this.#started
  }

  /** Completes startup: readiness is no longer 503 for `starting`. */
  markStarted(): void {
    if (this.#started) return
    this.#started = true
    this.#changed()
  }

  async enterMaintenance(reason?: string): Promise<void> {
    if (reason !== undefined && typeof reason !== 'string') {
      throw new TypeError(`Expected \`reason\` to be a string, got ${describeValue(reason)}`)
    }
    await this.#maintenance.set(true, reason)
    this.#changed()
  }

  async leaveMaintenance(): Promise<void> {
    await this.#maintenance.set(false)
    this.#changed()
  }

  /** Starts draining for a shutdown: readiness answers 503 from the next request on, liveness stays 200. */
  startDraining(): void {
    if (this.#draining) return
    this.#draining = true
    this.#changed()
  }

  /**
   * Shuts down gracefully on SIGTERM/SIGINT: drain until the load balancers confirm it (at most `maxDrainMs`),
   * close the server and its keep-alive connections, let in-flight requests finish (at most `closeTimeoutMs`),
   * run `onShutdown` hooks, `close()` this health, exit. Returns a disposer that removes the signal handlers and
   * exposes `shutdown()` to run the same sequence from code. See `ShutdownOptions` for the defaults.
   */
  installShutdown(options?: ShutdownOptions): ShutdownController {
    return installShutdown(this, options)
  }

  /** Evaluates the checks of one probe. Check failures never reject; unknown `exclude` names throw a `TypeError`. */
  async evaluate(options: EvaluateOptions = {}): Promise<HealthReport> {
    const probe = oneOf<Probe>('probe', options.probe, ['live', 'ready', 'startup'], 'ready')
    const exclude = options.exclude ?? []
    for (const name of exclude) {
      if (!this.#runners.has(name)) throw new TypeError(`Unknown check "${name}" in \`exclude\``)
    }
    if (probe === 'startup') return this.#evaluateStartup(exclude)
    if (probe === 'ready' && !this.#started) await this.#evaluateStartup([])
    const maintenance = this.#maintenance.read()
    const key = reportKey(probe, exclude)
    const now = performance.now()
    const cached = this.#reportCache.get(key)
    if (cached && this.#isCurrent(cached, maintenance, now)) return cached.report
    // While a check runs, every request for the same probe waits for the same report instead of building
    // (and the handler rendering) one of its own: at a few thousand requests per second that is hundreds
    // of reports per refresh. Only within one lifecycle generation and maintenance state.
    const inflight = this.#evaluations.get(key)
    if (
      inflight &&
      inflight.generation === this.#generation &&
      sameMaintenance(inflight.maintenance, maintenance)
    ) {
      return inflight.report
    }
    const generation = this.#generation
    const entry: InflightReport = {
      generation,
      maintenance,
      report: this.#build(probe, exclude, key, maintenance, now, generation),
    }
    this.#evaluations.set(key, entry)
    try {
      return await entry.report
    } finally {
      if (this.#evaluations.get(key) === entry) this.#evaluations.delete(key)
    }
  }

  async #build(
    probe: Probe,
    exclude: readonly string[],
    key: string,
    maintenance: MaintenanceState,
    now: number,
    generation: number,
  ): Promise<HealthReport> {
    const runners = this.#select(probe, exclude)
    const results = await this.#collect(runners, now)
    const report = this.#aggregate(probe, results, maintenance)
    // Only cache a report whose lifecycle did not change while it was being built.
    if (generation === this.#generation) this.#cacheReport(key, report, generation, runners)
    return report
  }

  /**
   * The hot path: the report `evaluate()` would resolve with, when it can be served from cache without
   * running anything (a freshness check per check); otherwise `undefined`. `exclude` must hold known names.
   * `now` is the caller's `performance.now()`, when it has just read it (the handler reads the clock once per
   * request for this and `recordProbe()`).
   */
  cachedReport(probe: Probe, exclude: readonly string[], now = performance.now()): HealthReport | undefined {
    if (probe === 'startup' || (probe === 'ready' && !this.#started)) return undefined
    const cached = this.#reportCache.get(reportKey(probe, exclude))
    if (cached && this.#isCurrent(cached, this.#maintenance.read(), now)) return cached.report
    return undefined
  }

  /** Evaluates one check by name, regardless of probes and maintenance. Throws a `TypeError` for an unknown name. */
  async evaluateCheck(name: string): Promise<HealthReport> {
    const runner = this.#runners.get(name)
    if (!runner) throw new TypeError(`Unknown check "${name}"`)
    const result = await runner.current(performance.now())
    const status: Status = result.status === 'fail' && !runner.critical ? 'warn' : result.status
    return {
      status,
      httpStatus: status === 'fail' ? 503 : 200,
      probe: 'check',
      state: this.state,
      maintenance: this.#maintenance.read(),
      checks: [result],
    }
  }

  /** Subscribes to status changes of single checks. Returns a disposer. */
  onCheckChange(listener: (event: CheckChangeEvent) => void): () => void {
    this.#checkListeners.add(listener)
    return () => this.#checkListeners.delete(listener)
  }

  /** Subscribes to changes of the aggregate readiness status (from cached results and maintenance). */
  onStatusChange(listener: (event: StatusChangeEvent) => void): () => void {
    this.#statusListeners.add(listener)
    return () => this.#statusListeners.delete(listener)
  }

  /**
   * Counts a readiness answer for drain confirmation. Called by the request handler with the prober's
   * identity (remote address and User-Agent). `now`: as for `cachedReport()`.
   */
  recordProbe(id: string, httpStatus: number, now = performance.now()): void {
    if (typeof id !== 'string')
      throw new TypeError(`Expected \`id\` to be a string, got ${describeValue(id)}`)
    if (!Number.isInteger(httpStatus)) {
      throw new TypeError(`Expected \`httpStatus\` to be an integer, got ${describeValue(httpStatus)}`)
    }
    if (!Number.isFinite(now))
      throw new TypeError(`Expected \`now\` to be a number, got ${describeValue(now)}`)
    let prober = this.#probers.get(id)
    if (prober && now - prober.lastSeen > this.proberTtlMs) prober = undefined
    if (prober) {
      const gap = now - prober.lastSeen
      // Follows a longer interval at once and a shorter one slowly, so that a balancer that slows down
      // (HAProxy's `downinter`) is not taken for gone.
      prober.intervalMs =
        prober.intervalMs === undefined || gap > prober.intervalMs ? gap : prober.intervalMs * 0.8 + gap * 0.2
    } else {
      if (this.#probers.size >= MAX_PROBERS) this.#evictProbers(now)
      prober = { consecutive503: 0, lastSeen: now, intervalMs: undefined, sawHealthy: false }
      // Updated in place from now on: this runs on every readiness request, eviction rarely.
      this.#probers.set(id, prober)
    }
    prober.lastSeen = now
    prober.consecutive503 = httpStatus === 503 ? prober.consecutive503 + 1 : 0
    if (httpStatus !== 503) prober.sawHealthy = true
  }

  /** Whether the load balancers have seen this instance down: see `DrainStatus`. */
  drainStatus(): DrainStatus {
    const now = performance.now()
    const draining = this.state === 'draining' || this.#stopped
    const active: Array<[string, ProberState]> = []
    let drained = draining
    for (const entry of this.#probers) {
      const prober = entry[1]
      if (!this.#isActive(prober, now)) continue
      active.push(entry)
      if (prober.sawHealthy && prober.consecutive503 < this.unhealthyThreshold) drained = false
    }
    // Least recently seen first. Sorted here rather than kept in order on every request (see recordProbe).
    active.sort((a, b) => a[1].lastSeen - b[1].lastSeen)
    const probers: Prober[] = active.map(([id, prober]) => ({
      id,
      consecutive503: prober.consecutive503,
      // Wall time from the monotonic clock, so that recordProbe() reads one clock, not two.
      lastSeen: new Date(performance.timeOrigin + prober.lastSeen).toISOString(),
    }))
    return { draining, drained, probers }
  }

  /** Maintenance state plus drain confirmation, as `GET /health/maintenance` reports it. */
  maintenanceStatus(): MaintenanceStatus {
    return { ...this.#maintenance.read(), ...this.drainStatus() }
  }

  /**
   * Resolves once the drain is confirmed, `maxMs` passed or `signal` aborted, with `{ drained, waitedMs }`.
   * Never rejects for those; throws a `TypeError` for bad options. Only useful while draining: it does not
   * start draining (see `startDraining()` and `enterMaintenance()`).
   */
  async waitForDrain(options: WaitForDrainOptions): Promise<DrainWaitResult> {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`Expected options to be an object, got ${describeValue(options)}`)
    }
    const maxMs = positiveNumber('maxMs', options.maxMs)
    const pollMs = positiveNumber('pollMs', options.pollMs ?? 100)
    const { signal } = options
    const started = performance.now()
    const elapsed = () => performance.now() - started
    while (!this.drainStatus().drained && elapsed() < maxMs && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', wake)
          resolve()
        }
        // Stays referenced: a shutdown waiting here must not let the process exit before its hooks ran.
        const timer = setTimeout(wake, Math.max(1, Math.min(pollMs, maxMs - elapsed())))
        signal?.addEventListener('abort', wake, { once: true })
      })
    }
    return { drained: this.drainStatus().drained, waitedMs: Math.round(elapsed()) }
  }

  /** Stops background refresh, releases what checks own, closes the maintenance store. Idempotent. */
  async close(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#changed()
    this.#unsubscribeMaintenance?.()
    const closing = [...this.#runners.values()].map((runner) => runner.close())
    const results = await Promise.allSettled([...closing, this.#maintenance.close?.()])
    for (const result of results) if (result.status === 'rejected') this.#onError(result.reason)
    this.#checkListeners.clear()
    this.#statusListeners.clear()
    this.#reportCache.clear()
  }

  #createRunner(definition: CheckDefinition): CheckRunner {
    return new CheckRunner(definition, this.#defaults)
  }

  #install(runner: CheckRunner): void {
    runner.onResult = (current, previous) => {
      if (previous?.status !== current.status) {
        const event: CheckChangeEvent = {
          name: current.name,
          previous: previous?.status,
          current: current.status,
          result: current,
        }
        this.#emit(this.#checkListeners, event)
      }
      this.#emitReadyStatus()
    }
    this.#runners.set(runner.name, runner)
    this.#changed()
    if (!this.#stopped) runner.start()
  }

  #select(probe: Probe, exclude: readonly string[]): CheckRunner[] {
    const selected: CheckRunner[] = []
    for (const runner of this.#runners.values()) {
      if (runner.tags.has(probe) && !exclude.includes(runner.name)) selected.push(runner)
    }
    return selected
  }

  #isCurrent(cached: CachedReport, maintenance: MaintenanceState, now: number): boolean {
    // Adding or removing a check bumps the generation, so while it is unchanged so is `cached.runners`.
    if (cached.generation !== this.#generation) return false
    const { report, runners } = cached
    if (!sameMaintenance(report.maintenance, maintenance)) return false
    if (runners.length !== report.checks.length) return false
    for (let i = 0; i < runners.length; i++) {
      const runner = runners[i] as CheckRunner
      if (!runner.isFresh(now) || runner.peek() !== report.checks[i]) return false
    }
    return true
  }

  #cacheReport(key: string, report: HealthReport, generation: number, runners: CheckRunner[]): void {
    this.#reportCache.set(key, { report, generation, runners })
    // Bounded: `exclude` combinations come from request URLs.
    if (this.#reportCache.size > 64) {
      const oldest = this.#reportCache.keys().next().value
      if (oldest !== undefined) this.#reportCache.delete(oldest)
    }
  }

  async #collect(runners: CheckRunner[], now: number): Promise<CheckResult[]> {
    let pending = false
    const values = runners.map((runner) => {
      const value = runner.current(now)
      if (value instanceof Promise) pending = true
      return value
    })
    return pending ? Promise.all(values) : (values as CheckResult[])
  }

  #aggregate(probe: Probe, results: CheckResult[], maintenance: MaintenanceState): HealthReport {
    let status = aggregateStatus(results)
    let output: string | undefined
    if (probe === 'ready') {
      if (this.#stopped) output = 'stopped'
      else if (maintenance.enabled) output = 'maintenance'
      else if (this.#draining) output = 'draining'
      else if (!this.#started) output = 'starting'
      if (output !== undefined) status = 'fail'
    }
    const report: HealthReport = {
      status,
      httpStatus: status === 'fail' ? 503 : 200,
      probe,
      state: this.state,
      maintenance,
      checks: results,
    }
    if (output !== undefined) report.output = output
    return report
  }

  async #evaluateStartup(exclude: readonly string[]): Promise<HealthReport> {
    const maintenance = this.#maintenance.read()
    if (this.#started) return this.#aggregate('startup', [], maintenance)
    const results = await this.#collect(this.#select('startup', exclude), performance.now())
    const report = this.#aggregate('startup', results, maintenance)
    if (report.status !== 'fail' && this.#startupMode === 'auto' && exclude.length === 0) this.markStarted()
    if (!this.#started) {
      report.status = 'fail'
      report.httpStatus = 503
      report.output = 'starting'
    }
    return report
  }

  #maybeAutoStart(): void {
    if (this.#startupMode !== 'auto') return
    for (const runner of this.#runners.values()) if (runner.tags.has('startup')) return
    this.#started = true
  }

  #changed(): void {
    this.#generation++
    this.#emitReadyStatus()
  }

  #emitReadyStatus(): void {
    if (this.#statusListeners.size === 0) return
    const results: CheckResult[] = []
    for (const runner of this.#runners.values()) {
      if (runner.tags.has('ready') && runner.latest) results.push(runner.latest)
    }
    const report = this.#aggregate('ready', results, this.#maintenance.read())
    const previous = this.#lastReadyStatus
    this.#lastReadyStatus = report.status
    if (previous !== undefined && previous !== report.status) {
      this.#emit(this.#statusListeners, { probe: 'ready', previous, current: report.status })
    }
  }

  #emit<T>(listeners: Set<(event: T) => void>, event: T): void {
    for (const listener of listeners) {
      try {
        listener(event)
      } catch (error) {
        this.#onError(error)
      }
    }
  }

  /** Seen within `proberTtlMs`, and not silent for more than three of its own intervals. */
  #isActive(prober: ProberState, now: number): boolean {
    const silent = now - prober.lastSeen
    if (silent > this.proberTtlMs) return false
    if (prober.intervalMs === undefined) return true
    return silent <= Math.max(MISSED_INTERVALS * prober.intervalMs, prober.intervalMs + QUIET_SLACK_MS)
  }

  #evictProbers(now: number): void {
    for (const [id, prober] of this.#probers) {
      if (!this.#isActive(prober, now)) this.#probers.delete(id)
    }
    if (this.#probers.size >= MAX_PROBERS) {
      let leastRecent: string | undefined
      let oldest = Number.POSITIVE_INFINITY
      for (const [id, prober] of this.#probers) {
        if (prober.lastSeen < oldest) {
          oldest = prober.lastSeen
          leastRecent = id
        }
      }
      if (leastRecent !== undefined) this.#probers.delete(leastRecent)
    }
  }
}

/** A built report and the lifecycle generation (startup, draining, checks added or removed) it was built in. */
interface CachedReport {
  report: HealthReport
  generation: number
  /** The checks the report was built from, in report order. */
  runners: CheckRunner[]
}

/** A report being built, which requests for the same probe join. */
interface InflightReport {
  report: Promise<HealthReport>
  generation: number
  maintenance: MaintenanceState
}

function reportKey(probe: Probe, exclude: readonly string[]): string {
  if (exclude.length > 0) return `${probe}|${exclude.join(',')}`
  // Constants, not a lookup by name: this runs on every probe request.
  return probe === 'ready' ? 'ready|' : probe === 'live' ? 'live|' : 'startup|'
}

/** Whether a report built under `a` still shows maintenance as it is under `b`. */
function sameMaintenance(a: MaintenanceState, b: MaintenanceState): boolean {
  return a.enabled === b.enabled && a.reason === b.reason && a.stale === b.stale
}

/** Any critical `fail` -> `fail`; otherwise any `warn` or non-critical `fail` -> `warn`; else `pass`. */
export function aggregateStatus(results: readonly CheckResult[]): Status {
  let status: Status = 'pass'
  for (const result of results) {
    if (result.status === 'fail') {
      if (result.critical) return 'fail'
      status = 'warn'
    } else if (result.status === 'warn') status = 'warn'
  }
  return status
}

/** Creates a `Health`. Options are validated here: a `TypeError` names the offending option. */
export function createHealth(options?: HealthOptions): Health {
  return new Health(options)
}
