import { type ErrorHandler, Listeners } from '../primitives/listeners.js'
import type { CheckResult, LifecycleState, MaintenanceState, Status } from '../types.js'

/** Emitted when a check's reported status changes. */
export interface CheckChangeEvent {
  name: string
  previous: Status | undefined
  current: Status
  result: CheckResult
}

/** Emitted when the aggregate readiness status changes. */
export interface StatusChangeEvent {
  probe: 'ready'
  previous: Status
  current: Status
}

/** Every result a check reports (not only changes): what run counters and duration histograms count. */
export interface CheckRunEvent {
  name: string
  result: CheckResult
  /** Set on a failure whose cause is a bug in the check or its configuration rather than an outage. */
  hint?: 'programming error' | 'unresolvable host'
}

/** Maintenance was entered or left, from code, the admin route, a file or a fleet store. */
export interface MaintenanceChangeEvent {
  enabled: boolean
  /** The store the state came from: `'memory'`, `'file'`, `'redis'`... */
  source: string
  reason?: string
}

/** Emitted when readiness starts or stops being kept at 200 by the fleet's panic threshold. */
export interface PanicChangeEvent {
  panic: boolean
  /** While panicking: why (names the panic and the fleet's ready share). */
  output?: string
}

/** Draining started (maintenance or shutdown), was confirmed by the load balancers, or ended. */
export interface DrainEvent {
  phase: 'start' | 'confirmed' | 'end'
  /** The probers counted at that moment. */
  probers: number
}

/** One step of a shutdown run by `installShutdown()`. */
export interface ShutdownStepEvent {
  step: 'drain' | 'drain-confirmed' | 'drain-timeout' | 'server-closed' | 'error' | 'complete'
  reason?: string
  durationMs?: number
  code?: number
}

/**
 * An admin API action, with the caller's address (never a credential): maintenance switched, or an address
 * blocked after too many failed authentication attempts.
 */
export interface AdminEvent {
  action: 'maintenance-on' | 'maintenance-off' | 'throttled'
  /** The remote address of the request, or `'an unknown address'`. */
  address: string
  reason?: string
  /** `throttled`: how long the address is blocked, and after how many failures. */
  blockedForMs?: number
  failures?: number
}

/** The lifecycle changed: maintenance entered or left, startup completed, draining began, a check was added or removed. */
export interface LifecycleChangeEvent {
  state: LifecycleState
  maintenance: MaintenanceState
}

/**
 * The one event source of a health: check results and status changes, readiness, maintenance, drain and
 * shutdown. Logs and metrics subscribe here; none of them runs a check or polls. A throwing listener never
 * breaks the emitter nor the other listeners; its error goes to the one `onError`.
 */
export class HealthEvents {
  readonly checks: Listeners<CheckChangeEvent>
  readonly runs: Listeners<CheckRunEvent>
  readonly status: Listeners<StatusChangeEvent>
  readonly maintenance: Listeners<MaintenanceChangeEvent>
  readonly drain: Listeners<DrainEvent>
  readonly shutdown: Listeners<ShutdownStepEvent>
  readonly admin: Listeners<AdminEvent>
  readonly lifecycle: Listeners<LifecycleChangeEvent>
  readonly panic: Listeners<PanicChangeEvent>
  #lastReady: Status | undefined

  constructor(onError: ErrorHandler) {
    this.checks = new Listeners(onError)
    this.runs = new Listeners(onError)
    this.status = new Listeners(onError)
    this.maintenance = new Listeners(onError)
    this.drain = new Listeners(onError)
    this.shutdown = new Listeners(onError)
    this.admin = new Listeners(onError)
    this.lifecycle = new Listeners(onError)
    this.panic = new Listeners(onError)
  }

  /**
   * Adds a readiness listener. The first one primes the last known status: while nobody listened it was not
   * tracked, and a stale value would hide the next change (or report one that did not happen).
   */
  addStatusListener(listener: (event: StatusChangeEvent) => void, readyStatus: () => Status): () => void {
    if (this.status.size === 0) this.#lastReady = readyStatus()
    return this.status.add(listener)
  }

  /** The lifecycle changed: `describe` builds the event only when someone listens. */
  lifecycleChanged(describe: () => LifecycleChangeEvent): void {
    if (this.lifecycle.size > 0) this.lifecycle.emit(describe())
  }

  /** A check reported a result: a run event, and a change event when its status differs from the previous one. */
  checkResult(current: CheckResult, previous: CheckResult | undefined, hint?: CheckRunEvent['hint']): void {
    if (this.runs.size > 0) {
      this.runs.emit(
        hint ? { name: current.name, result: current, hint } : { name: current.name, result: current },
      )
    }
    if (previous?.status === current.status || this.checks.size === 0) return
    this.checks.emit({
      name: current.name,
      previous: previous?.status,
      current: current.status,
      result: current,
    })
  }

  /** Something readiness depends on changed: `readyStatus` computes it only when someone listens. */
  readinessChanged(readyStatus: () => Status): void {
    if (this.status.size === 0) return
    const current = readyStatus()
    const previous = this.#lastReady
    this.#lastReady = current
    if (previous !== undefined && previous !== current)
      this.status.emit({ probe: 'ready', previous, current })
  }

  clear(): void {
    this.checks.clear()
    this.runs.clear()
    this.status.clear()
    this.maintenance.clear()
    this.drain.clear()
    this.lifecycle.clear()
    this.admin.clear()
    this.panic.clear()
    // `shutdown` is kept: `installShutdown()` closes the health before its last step ('complete').
  }
}
