import { type ErrorHandler, Listeners } from '../primitives/listeners.js'
import type { CheckResult, LifecycleState, MaintenanceState, Status } from '../types.js'

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

/** The lifecycle changed: maintenance entered or left, startup completed, draining began, a check was added or removed. */
export interface LifecycleChangeEvent {
  state: LifecycleState
  maintenance: MaintenanceState
}

/**
 * The events of a health: status changes of single checks and of the aggregate readiness. A throwing
 * listener never breaks the emitter nor the other listeners; its error goes to the one `onError`.
 */
export class HealthEvents {
  readonly checks: Listeners<CheckChangeEvent>
  readonly status: Listeners<StatusChangeEvent>
  readonly lifecycle: Listeners<LifecycleChangeEvent>
  #lastReady: Status | undefined

  constructor(onError: ErrorHandler) {
    this.checks = new Listeners(onError)
    this.status = new Listeners(onError)
    this.lifecycle = new Listeners(onError)
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

  /** A check reported a result: an event when its status differs from the previous one. */
  checkResult(current: CheckResult, previous: CheckResult | undefined): void {
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
    this.status.clear()
    this.lifecycle.clear()
  }
}
