import {
  type DrainStatus,
  DrainTracker,
  type DrainWaitResult,
  type WaitForDrainOptions,
} from './health/drain.js'
import { Evaluator } from './health/evaluator.js'
import {
  type AdminEvent,
  type CheckChangeEvent,
  type CheckRunEvent,
  type DrainEvent,
  HealthEvents,
  type LifecycleChangeEvent,
  type MaintenanceChangeEvent,
  type PanicChangeEvent,
  type ShutdownStepEvent,
  type StatusChangeEvent,
} from './health/events.js'
import { type EnterMaintenanceOptions, FleetLink } from './health/fleet.js'
import type { HealthLogger } from './health/log.js'
import { subscribeLogger } from './health/log.js'
import { MaintenanceSwitch } from './health/maintenance-switch.js'
import { type HealthOptions, readHealthOptions, readLogger } from './health/options.js'
import { lifecycleState, Registry } from './health/registry.js'
import type { ErrorHandler } from './primitives/listeners.js'
import { optionReader } from './primitives/options.js'
import { CheckRunner, type RunnerDefaults } from './runner.js'
import type {
  CheckDefinition,
  CheckResult,
  EvaluateOptions,
  HealthReport,
  LifecycleState,
  MaintenanceState,
  Probe,
  Status,
} from './types.js'

export { aggregateStatus } from './health/aggregate.js'
export type { HealthOptions } from './health/options.js'

/** The maintenance state together with the drain status, as `GET /health/maintenance` shows it. */
export interface MaintenanceStatus extends MaintenanceState, DrainStatus {}

const readEvaluate = optionReader('health.evaluate')
const readEnter = optionReader('health.enterMaintenance')
const EVALUATE_KEYS = ['probe', 'exclude']
const PROBES: readonly Probe[] = ['live', 'ready', 'startup']

/**
 * A set of checks, the lifecycle of the instance, and its maintenance flag. Create with `createHealth()`.
 * A facade over its parts (./health/): the check registry and lifecycle, the maintenance switch, the
 * evaluator (report cache with in-flight joining, one rule from results to a report), the drain tracker
 * and the events.
 */
export class Health {
  readonly version: string | undefined
  readonly releaseId: string | undefined
  readonly serviceId: string | undefined
  readonly description: string | undefined
  readonly unhealthyThreshold: number
  readonly proberTtlMs: number

  readonly #events: HealthEvents
  readonly #registry: Registry
  readonly #maintenance: MaintenanceSwitch
  readonly #drain: DrainTracker
  readonly #defaults: RunnerDefaults
  readonly #onError: ErrorHandler
  readonly #evaluator: Evaluator
  readonly #fleet: FleetLink
  // Built once: the events call it on every change while someone listens for status changes.
  readonly #readyStatus = (): Status => this.#evaluator.readyStatus()
  #logs: boolean
  #unsubscribeLog: () => void
  #maintenanceOn = false
  #drainPhase: 'none' | 'draining' | 'confirmed' = 'none'
  readonly #lifecycleEvent = (): LifecycleChangeEvent => ({
    state: this.state,
    maintenance: this.maintenance,
  })

  constructor(options?: HealthOptions) {
    const settings = readHealthOptions(options)
    this.version = settings.version
    this.releaseId = settings.releaseId
    this.serviceId = settings.serviceId
    this.description = settings.description
    this.unhealthyThreshold = settings.unhealthyThreshold
    this.proberTtlMs = settings.proberTtlMs
    this.#defaults = settings.defaults
    this.#onError = settings.onError
    // Every check is validated before any starts its background work.
    const runners = settings.checks.map((definition) => new CheckRunner(definition, this.#defaults))
    const names = new Set<string>()
    for (const { name } of runners) {
      if (names.has(name)) throw new TypeError(`Duplicate check name "${name}"`)
      names.add(name)
    }
    this.#events = new HealthEvents(settings.onError)
    this.#logs = settings.logger !== undefined
    this.#unsubscribeLog = subscribeLogger(this.#events, settings.logger)
    this.#registry = new Registry(() => {
      this.#events.lifecycleChanged(this.#lifecycleEvent)
      this.#events.readinessChanged(this.#readyStatus)
      this.#drainChanged()
    })
    const { fleet } = settings
    const admit = fleet && (() => fleet.admitMaintenance({ force: false }))
    this.#maintenance = new MaintenanceSwitch(settings.maintenance, () => this.#maintenanceChanged(), admit)
    this.#maintenanceOn = this.#maintenance.read().enabled
    this.#evaluator = new Evaluator(this.#registry, this.#maintenance, settings.startup, () =>
      this.#fleet?.panic(),
    )
    this.#drain = new DrainTracker(
      this.unhealthyThreshold,
      this.proberTtlMs,
      () => this.#isDraining(),
      settings.matchProber,
    )
    for (const runner of runners) this.#install(runner)
    this.#fleet = new FleetLink(settings.fleet, this.version, this.#events, this.#registry, () =>
      this.#evaluator.unpanicked(),
    )
    if (settings.startup === 'auto' && !this.#registry.hasTag('startup')) this.#registry.markStarted()
  }

  /** Adds a check. Throws a `TypeError` for an invalid definition or a duplicate name. */
  add(definition: CheckDefinition): this {
    if (this.#registry.stopped) throw new Error('Cannot add a check to a closed health')
    this.#install(new CheckRunner(definition, this.#defaults))
    return this
  }

  /** Removes a check and releases what it owns. Resolves `false` when there was no such check. */
  async remove(name: string): Promise<boolean> {
    const runner = this.#registry.remove(name)
    await runner?.close()
    return runner !== undefined
  }

  /** Names of the registered checks. */
  get checkNames(): string[] {
    return this.#registry.names()
  }
  /** Whether a check of this name is registered. */
  has(name: string): boolean {
    return this.#registry.has(name)
  }
  get state(): LifecycleState {
    return lifecycleState(this.#registry, this.#maintenance.read())
  }
  /** The current maintenance flag (synchronous, cheap). */
  get maintenance(): MaintenanceState {
    return this.#maintenance.read()
  }
  /** True once startup completed (see the `startup` option). */
  get started(): boolean {
    return this.#registry.started
  }

  /** Completes startup: readiness is no longer 503 for `starting`. */
  markStarted(): void {
    this.#registry.markStarted()
  }
  /** Enters maintenance (readiness 503, liveness 200). A `fleet` budget may refuse it: `MaintenanceRefusedError`. */
  async enterMaintenance(reason?: string, options?: EnterMaintenanceOptions): Promise<void> {
    const force = readEnter.boolean('force', readEnter.object(options, ['force']).force, false)
    const enter = () => this.#maintenance.enter(reason)
    return this.#fleet.enterMaintenance(enter, this.#maintenance.read().enabled, force)
  }
  /** Leaves maintenance: readiness follows the checks again. */
  leaveMaintenance(): Promise<void> {
    return this.#fleet.leaveMaintenance(() => this.#maintenance.leave())
  }
  /** Starts draining for a shutdown: readiness answers 503 from the next request on, liveness stays 200. */
  startDraining(): void {
    this.#registry.startDraining()
  }

  /** Evaluates the checks of one probe. Check failures never reject; unknown `exclude` names throw a `TypeError`. */
  async evaluate(options?: EvaluateOptions): Promise<HealthReport> {
    const given = readEvaluate.object(options, EVALUATE_KEYS) as EvaluateOptions
    const probe = readEvaluate.oneOf('probe', given.probe, PROBES, 'ready')
    const exclude = given.exclude ?? []
    for (const name of exclude) {
      if (!this.#registry.has(name)) throw new TypeError(`Unknown check "${name}" in \`exclude\``)
    }
    return this.#evaluator.evaluate(probe, exclude)
  }

  /**
   * The hot path: the report `evaluate()` would resolve with, when it can be served from cache without
   * running anything; otherwise `undefined`. `exclude` must hold known names. `now` is the caller's
   * `performance.now()`, when it has just read it (the handler reads the clock once per request).
   */
  cachedReport(probe: Probe, exclude: readonly string[], now = performance.now()): HealthReport | undefined {
    return this.#evaluator.cached(probe, exclude, now)
  }

  /** Evaluates one check by name, regardless of probes and maintenance. Throws a `TypeError` for an unknown name. */
  async evaluateCheck(name: string): Promise<HealthReport> {
    const report = await this.#evaluator.check(name)
    if (!report) throw new TypeError(`Unknown check "${name}"`)
    return report
  }

  /** Subscribes to status changes of single checks. Returns a disposer. */
  onCheckChange(listener: (event: CheckChangeEvent) => void): () => void {
    return this.#events.checks.add(listener)
  }
  /** Subscribes to changes of the aggregate readiness status (from cached results and maintenance). */
  onStatusChange(listener: (event: StatusChangeEvent) => void): () => void {
    return this.#events.addStatusListener(listener, this.#readyStatus)
  }
  /**
   * Subscribes to lifecycle changes: maintenance on/off, startup completed, draining, checks added or removed.
   * One change may be reported more than once (compare with the previous event when that matters).
   */
  onLifecycleChange(listener: (event: LifecycleChangeEvent) => void): () => void {
    return this.#events.lifecycle.add(listener)
  }

  /**
   * The status of a probe or of one check from the latest results, without running anything (a check that
   * never ran is left out; an unknown check name is `undefined`). For event listeners, which must not run checks.
   */
  latestStatus(probe: Probe): Status
  latestStatus(probe: 'check', name: string): Status | undefined
  latestStatus(probe: Probe | 'check', name?: string): Status | undefined {
    return this.#evaluator.latestStatus(probe, name)
  }

  /** Subscribes to every result a check reports, changed or not (run counters, duration histograms). */
  onCheckResult(listener: (event: CheckRunEvent) => void): () => void {
    return this.#events.runs.add(listener)
  }
  /** Subscribes to maintenance being entered or left, whatever the source (code, admin route, file, Redis). */
  onMaintenanceChange(listener: (event: MaintenanceChangeEvent) => void): () => void {
    return this.#events.maintenance.add(listener)
  }
  /** Subscribes to draining starting, being confirmed by the load balancers, and ending. */
  onDrain(listener: (event: DrainEvent) => void): () => void {
    return this.#events.drain.add(listener)
  }
  /** Subscribes to the fleet's panic threshold starting or ending to hold readiness at 200 (see `fleet`). */
  onPanicChange(listener: (event: PanicChangeEvent) => void): () => void {
    return this.#events.panic.add(listener)
  }
  /** The fleet view (`GET /health/fleet`); `undefined` without a `fleet`. */
  fleetView(): Promise<object> | undefined {
    return this.#fleet.fleet?.view()
  }
  /** Subscribes to the steps of a shutdown run by `installShutdown()`. */
  onShutdownStep(listener: (event: ShutdownStepEvent) => void): () => void {
    return this.#events.shutdown.add(listener)
  }
  /** Subscribes to admin API actions (maintenance switched, an address throttled), with the caller's address. */
  onAdminEvent(listener: (event: AdminEvent) => void): () => void {
    return this.#events.admin.add(listener)
  }
  /** Reports an admin API action (the request handler calls it); the logger, or `console.warn`, logs it. */
  adminEvent(event: AdminEvent): void {
    this.#events.admin.emit(event)
  }
  /** Reports a shutdown step to the subscribers (`installShutdown()` calls it). */
  shutdownStep(event: ShutdownStepEvent): void {
    this.#events.shutdown.emit(event)
  }
  /**
   * Logs through `logger` from now on, as the `logger` option would (adapters use it: the Fastify plugin passes
   * `fastify.log` when the health has no logger). Returns a disposer that goes back to no logger.
   */
  useLogger(logger: HealthLogger): () => void {
    const checked = readLogger(logger) as HealthLogger
    this.#unsubscribeLog()
    this.#unsubscribeLog = subscribeLogger(this.#events, checked)
    this.#logs = true
    let disposed = false
    return () => {
      if (disposed) return
      disposed = true
      this.#unsubscribeLog()
      this.#unsubscribeLog = subscribeLogger(this.#events, undefined)
      this.#logs = false
    }
  }
  /** Whether a `logger` was given: `installShutdown()` then logs its steps through it. */
  get logs(): boolean {
    return this.#logs
  }

  /** The latest result of every check that has one, without running anything: what metrics read at scrape time. */
  latestResults(): CheckResult[] {
    const results: CheckResult[] = []
    for (const runner of this.#registry.runners()) if (runner.latest) results.push(runner.latest)
    return results
  }
  /** The readiness status from the latest results, maintenance and lifecycle, without running anything. */
  readyStatus(): Status {
    return this.#evaluator.readyStatus()
  }

  /** Counts a readiness answer for drain confirmation (the handler passes the prober's address and User-Agent). */
  recordProbe(
    id: string,
    httpStatus: number,
    now = performance.now(),
    address?: string,
    userAgent?: string,
  ): void {
    this.#drain.record(id, httpStatus, now, address, userAgent)
    // While draining and unconfirmed only, and only when someone listens: the rest of the time this is free.
    if (this.#drainPhase === 'draining' && this.#events.drain.size > 0 && this.#drain.status().drained) {
      this.#drainPhase = 'confirmed'
      this.#emitDrain('confirmed')
    }
  }
  /** Whether the load balancers have seen this instance down: see `DrainStatus`. */
  drainStatus(): DrainStatus {
    return this.#drain.status()
  }
  /** The probers still holding up drain confirmation: they saw this instance healthy, not yet enough 503s since. */
  drainHolders(): string[] {
    return this.#drain.holders()
  }
  /** Maintenance state plus drain confirmation, as `GET /health/maintenance` reports it. */
  maintenanceStatus(): MaintenanceStatus {
    return { ...this.#maintenance.read(), ...this.#drain.status() }
  }
  /**
   * Resolves once the drain is confirmed, `maxMs` passed or `signal` aborted, with `{ drained, waitedMs }`.
   * Rejects only with a `TypeError` for bad options. It does not start draining (see `startDraining()`).
   */
  waitForDrain(options: WaitForDrainOptions): Promise<DrainWaitResult> {
    return this.#drain.wait(options)
  }

  /** Stops background refresh, releases what checks own, closes the maintenance store. Idempotent. */
  async close(): Promise<void> {
    if (!this.#registry.stop()) return
    const closing = [...this.#registry.runners()].map((runner) => runner.close())
    const stores = (async () => {
      await this.#fleet.fleet?.close()
      await this.#maintenance.close()
    })()
    const results = await Promise.allSettled([...closing, stores])
    for (const result of results) if (result.status === 'rejected') this.#onError(result.reason)
    this.#events.clear()
    this.#evaluator.clear()
  }

  #install(runner: CheckRunner): void {
    this.#registry.add(runner)
    runner.onResult = (current, previous, hint) => {
      this.#events.checkResult(current, previous, hint)
      this.#events.readinessChanged(this.#readyStatus)
    }
    if (!this.#registry.stopped) runner.start()
  }

  #maintenanceChanged(): void {
    const state = this.#maintenance.read()
    if (state.enabled !== this.#maintenanceOn) {
      this.#maintenanceOn = state.enabled
      const event: MaintenanceChangeEvent = { enabled: state.enabled, source: state.source }
      if (state.enabled && state.reason !== undefined) event.reason = state.reason
      this.#events.maintenance.emit(event)
    }
    this.#registry.changed()
  }

  #drainChanged(): void {
    // Called from the registry's constructor callback chain: the parts may not all exist yet.
    if (this.#drain === undefined || this.#maintenance === undefined) return
    const draining = !this.#registry.stopped && this.#isDraining()
    if (draining && this.#drainPhase === 'none') {
      this.#drainPhase = 'draining'
      this.#emitDrain('start')
    } else if (!draining && this.#drainPhase !== 'none' && !this.#registry.stopped) {
      this.#drainPhase = 'none'
      this.#emitDrain('end')
    }
  }

  #emitDrain(phase: DrainEvent['phase']): void {
    if (this.#events.drain.size > 0)
      this.#events.drain.emit({ phase, probers: this.#drain.status().probers.length })
  }

  #isDraining(): boolean {
    return this.#registry.stopped || this.#registry.draining || this.#maintenance.read().enabled
  }
}

/** Creates a `Health`. Options are validated here: a `TypeError` names the offending option. */
export function createHealth(options?: HealthOptions): Health {
  return new Health(options)
}
