import type { CheckRunner } from '../runner.js'
import type { CheckResult, LifecycleState, MaintenanceState, Probe } from '../types.js'

/** What the lifecycle says about readiness, besides the checks. */
export interface LifecycleView {
  readonly started: boolean
  readonly draining: boolean
  readonly stopped: boolean
}

/** `starting` -> `ready` -> `draining` (maintenance or shutdown) -> `stopped`. */
export function lifecycleState(lifecycle: LifecycleView, maintenance: MaintenanceState): LifecycleState {
  if (lifecycle.stopped) return 'stopped'
  if (lifecycle.draining || maintenance.enabled) return 'draining'
  return lifecycle.started ? 'ready' : 'starting'
}

/**
 * The checks of a health and its lifecycle. `generation` counts their changes (a check added or removed,
 * startup, draining, stopping, a maintenance change): a report is current only within its generation.
 */
export class Registry implements LifecycleView {
  readonly #runners = new Map<string, CheckRunner>()
  readonly #onChange: () => void
  #generation = 0
  #started = false
  #draining = false
  #stopped = false

  /** `onChange` runs after every change. */
  constructor(onChange: () => void) {
    this.#onChange = onChange
  }

  get generation(): number {
    return this.#generation
  }
  get started(): boolean {
    return this.#started
  }
  get draining(): boolean {
    return this.#draining
  }
  get stopped(): boolean {
    return this.#stopped
  }

  has(name: string): boolean {
    return this.#runners.has(name)
  }
  get(name: string): CheckRunner | undefined {
    return this.#runners.get(name)
  }
  names(): string[] {
    return [...this.#runners.keys()]
  }
  runners(): IterableIterator<CheckRunner> {
    return this.#runners.values()
  }
  hasTag(probe: Probe): boolean {
    for (const runner of this.#runners.values()) if (runner.tags.has(probe)) return true
    return false
  }

  /** Registers a check; throws a `TypeError` for a duplicate name. */
  add(runner: CheckRunner): void {
    if (this.#runners.has(runner.name)) throw new TypeError(`Duplicate check name "${runner.name}"`)
    this.#runners.set(runner.name, runner)
    this.changed()
  }

  remove(name: string): CheckRunner | undefined {
    const runner = this.#runners.get(name)
    if (!runner) return undefined
    this.#runners.delete(name)
    this.changed()
    return runner
  }

  /** The checks of `probe` without the `exclude`d ones, in registration order. */
  select(probe: Probe, exclude: readonly string[]): CheckRunner[] {
    const selected: CheckRunner[] = []
    for (const runner of this.#runners.values()) {
      if (runner.tags.has(probe) && !exclude.includes(runner.name)) selected.push(runner)
    }
    return selected
  }

  /** The latest results of the checks of `probe`, without running anything. */
  latest(probe: Probe): CheckResult[] {
    const results: CheckResult[] = []
    for (const runner of this.#runners.values()) {
      if (runner.tags.has(probe) && runner.latest) results.push(runner.latest)
    }
    return results
  }

  /** Whether a check of `probe` has no result yet (it has not finished a first run). */
  pending(probe: Probe): boolean {
    for (const runner of this.#runners.values()) if (runner.tags.has(probe) && !runner.latest) return true
    return false
  }

  markStarted(): void {
    if (this.#started) return
    this.#started = true
    this.changed()
  }
  startDraining(): void {
    if (this.#draining) return
    this.#draining = true
    this.changed()
  }
  /** Returns false when it was stopped already. */
  stop(): boolean {
    if (this.#stopped) return false
    this.#stopped = true
    this.changed()
    return true
  }

  changed(): void {
    this.#generation++
    this.#onChange()
  }
}

/** The current results of `runners`: synchronously when every one is fresh, else once the runs settle. */
export function collect(
  runners: readonly CheckRunner[],
  now: number,
): CheckResult[] | Promise<CheckResult[]> {
  let pending = false
  const values = runners.map((runner) => {
    const value = runner.current(now)
    if (value instanceof Promise) pending = true
    return value
  })
  return pending ? Promise.all(values) : (values as CheckResult[])
}
