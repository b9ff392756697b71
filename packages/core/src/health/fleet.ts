// The hook through which a fleet plugin (e.g. `redisFleet` in @healthgate/redis) joins a health: it reads
// this instance's readiness to publish it, gates entering maintenance (a disruption budget) and may keep
// readiness at 200 `warn` while most of the fleet fails too (a panic threshold).
import type { HealthReport, LifecycleState, Status } from '../types.js'
import type { HealthEvents } from './events.js'
import type { Registry } from './registry.js'

/** This instance as a fleet plugin publishes it: readiness from the latest results, panic left out. */
export interface FleetReadiness {
  /** Readiness status from the latest results, maintenance and lifecycle, as if there were no panic. */
  status: Status
  state: LifecycleState
  maintenance: boolean
  draining: boolean
}

/** What a fleet plugin sees of the health it is attached to. */
export interface FleetHost {
  readonly version: string | undefined
  /** This instance's readiness without the panic (what the rest of the fleet must count). */
  readiness(): FleetReadiness
  /** Something `readiness()` depends on changed: check results, maintenance, lifecycle. Returns a disposer. */
  onChange(listener: () => void): () => void
  /** The plugin's `panic()` changed: readiness is re-evaluated, the change is logged and emitted. */
  panicChanged(): void
}

/** Options of `health.enterMaintenance()`. */
export interface EnterMaintenanceOptions {
  /** Enter even when a fleet's disruption budget refuses or cannot be checked. Default: `false`. */
  force?: boolean
}

/**
 * A fleet the health belongs to (the `fleet` option of `createHealth`). Implemented by `redisFleet()`.
 * Every method except `admitMaintenance` and `view` is synchronous and cheap: `panic()` runs on the readiness path.
 */
export interface HealthFleet {
  /** Called once by `createHealth`. */
  attach(host: FleetHost): void
  /**
   * Reserves this instance's way into maintenance under the disruption budget. Resolves with a release
   * function called once maintenance is entered (or failed to be); rejects with a
   * `MaintenanceRefusedError` when the budget refuses. Never called to leave maintenance.
   */
  admitMaintenance(options: { force: boolean }): Promise<() => void>
  /**
   * While the share of ready instances in the fleet is below the panic threshold: an output naming the
   * panic. A failing readiness then answers 200 `warn` with it. Otherwise `undefined`.
   */
  panic(): string | undefined
  /** The fleet view served by `GET /health/fleet`. Never rejects (an unreachable fleet is reported as unknown). */
  view(): Promise<object>
  /** Publishes this instance's state now (after leaving maintenance: the budget counts it again at once). Never rejects. */
  sync?(): Promise<void>
  /** Stops publishing and leaves the fleet. */
  close(): Promise<void> | void
}

/** Entering maintenance was refused by a fleet's disruption budget. The admin API answers it with 409. */
export class MaintenanceRefusedError extends Error {
  override name = 'MaintenanceRefusedError'
}

/** Whether `error` is a {@link MaintenanceRefusedError}, even from a second copy of the package. */
export const isMaintenanceRefusedError = (error: unknown): error is MaintenanceRefusedError =>
  error instanceof Error && error.name === 'MaintenanceRefusedError'

/** The health's side of the fleet hook: the host handed to the plugin and the panic state seen by reports. */
export class FleetLink {
  readonly fleet: HealthFleet | undefined
  readonly #events: HealthEvents
  readonly #registry: Registry
  #panicking = false

  /** `unpanicked` is readiness from the latest results without the panic. */
  constructor(
    fleet: HealthFleet | undefined,
    version: string | undefined,
    events: HealthEvents,
    registry: Registry,
    unpanicked: () => HealthReport,
  ) {
    this.fleet = fleet
    this.#events = events
    this.#registry = registry
    if (!fleet) return
    const host: FleetHost = {
      version,
      readiness: () => {
        const { status, state, maintenance } = unpanicked()
        const draining = registry.draining || registry.stopped
        // Before its readiness checks have a first result it is still starting: not ready (as readyStatus()),
        // and not failing either, so that a fleet starting at once does not panic.
        if (registry.pending('ready') && state === 'ready') {
          return { status: 'fail', state: 'starting', maintenance: maintenance.enabled, draining }
        }
        return { status, state, maintenance: maintenance.enabled, draining }
      },
      onChange: (listener) => {
        const offs = [events.checks.add(listener), events.lifecycle.add(listener)]
        return () => {
          for (const off of offs) off()
        }
      },
      panicChanged: () => this.#panicChanged(),
    }
    fleet.attach(host)
  }

  /** The panic output, if the fleet panics (applied only to a readiness that fails on its checks). */
  panic(): string | undefined {
    return this.fleet?.panic()
  }

  /** Enters maintenance through `enter`, under the fleet's disruption budget. */
  async enterMaintenance(enter: () => Promise<void>, alreadyOn: boolean, force: boolean): Promise<void> {
    if (!this.fleet || alreadyOn) return enter()
    const release = await this.fleet.admitMaintenance({ force })
    try {
      await enter()
    } finally {
      release()
    }
  }

  /** Leaves maintenance through `leave` (never refused), then tells the fleet at once. */
  async leaveMaintenance(leave: () => Promise<void>): Promise<void> {
    await leave()
    await this.fleet?.sync?.()
  }

  #panicChanged(): void {
    const output = this.fleet?.panic()
    const panicking = output !== undefined
    // A new generation: no cached report keeps the previous decision.
    this.#registry.changed()
    if (panicking === this.#panicking) return
    this.#panicking = panicking
    this.#events.panic.emit(panicking ? { panic: true, output } : { panic: false })
  }
}
