import { type ErrorHandler, Listeners } from '../primitives/listeners.js'
import type { CheckResult, Status } from '../types.js'

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

/**
 * The events of a health: status changes of single checks and of the aggregate readiness. A throwing
 * listener never breaks the emitter nor the other listeners; its error goes to the one `onError`.
 */
export class HealthEvents {
  readonly checks: Listeners<CheckChangeEvent>
  readonly status: Listeners<StatusChangeEvent>
  #lastReady: Status | undefined

  constructor(onError: ErrorHandler) {
    this.checks = new Listeners(onError)
    this.status = new Listeners(onError)
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
  }
}
