import { describeValue, sanitizeOutput } from '../sanitize.js'
import type { MaintenanceState, MaintenanceStore } from '../types.js'

/** A fleet's disruption budget: resolves with the release of a reservation, or rejects with the refusal. */
export type AdmitMaintenance = () => Promise<() => void>

/** How often a refused maintenance that a store turned on (a flag file) asks the budget again, in ms. */
const RETRY_MS = 1000

/**
 * The maintenance flag of a health, over the store it lives in. `onChange` runs after every change.
 *
 * With a fleet's disruption budget (`admit`), a maintenance that the store turned on by itself (a flag file
 * touched by a deploy script, an instance's flag set in Redis by another process) counts only once the budget
 * admits it: until then `read()` answers "not in maintenance" with a note saying why, and the budget is asked
 * again every second while the flag stays on. A fleet-wide flag is never held back.
 */
export class MaintenanceSwitch {
  readonly #store: MaintenanceStore
  readonly #onChange: () => void
  readonly #unsubscribe: (() => void) | undefined
  readonly #admit: AdmitMaintenance | undefined
  // The store's 'on' that the budget admitted (or that enter() set after its own admission).
  #admitted = false
  #admitting = false
  #note: string | undefined
  #retry: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(store: MaintenanceStore, onChange: () => void, admit?: AdmitMaintenance) {
    this.#store = store
    this.#onChange = onChange
    this.#admit = admit
    // A store shared with other processes (a file, Redis) changes without set() being called here.
    this.#unsubscribe = store.subscribe?.(() => this.#changed())
    if (this.#held(store.read())) this.#request()
  }

  /** Synchronous and cheap: on every readiness request. */
  read(): MaintenanceState {
    const state = this.#store.read()
    if (!this.#held(state)) return state
    return {
      enabled: false,
      source: state.source,
      note: this.#note ?? 'maintenance requested; waiting for the disruption budget',
    }
  }

  async enter(reason?: string): Promise<void> {
    if (reason !== undefined && typeof reason !== 'string') {
      throw new TypeError(`Expected \`reason\` to be a string, got ${describeValue(reason)}`)
    }
    // The caller went through the budget already (health.enterMaintenance).
    this.#admitted = true
    try {
      await this.#store.set(true, reason)
    } catch (error) {
      if (!this.#store.read().enabled) this.#admitted = false
      throw error
    }
    this.#onChange()
  }

  async leave(): Promise<void> {
    await this.#store.set(false)
    this.#onChange()
  }

  close(): Promise<void> | void {
    this.#closed = true
    clearTimeout(this.#retry)
    this.#unsubscribe?.()
    return this.#store.close?.()
  }

  /** Whether the store's state is a maintenance the budget has not admitted (yet). */
  #held(state: MaintenanceState): boolean {
    return this.#admit !== undefined && state.enabled && state.scope !== 'fleet' && !this.#admitted
  }

  #changed(): void {
    const state = this.#store.read()
    if (!state.enabled) {
      this.#admitted = false
      this.#note = undefined
      clearTimeout(this.#retry)
      this.#retry = undefined
    } else if (this.#held(state)) this.#request()
    this.#onChange()
  }

  /** Asks the budget; on a refusal, again every second while the store's flag stays on. */
  #request(): void {
    const admit = this.#admit
    if (!admit || this.#admitting || this.#closed) return
    this.#admitting = true
    clearTimeout(this.#retry)
    this.#retry = undefined
    admit().then(
      (release) => {
        this.#admitting = false
        if (this.#held(this.#store.read()) && !this.#closed) {
          this.#admitted = true
          this.#note = undefined
          this.#onChange()
        }
        release()
      },
      (error: unknown) => {
        this.#admitting = false
        if (!this.#held(this.#store.read()) || this.#closed) return
        const why = sanitizeOutput(error) || 'refused'
        const note = `maintenance requested but not entered: ${why}; asking again every ${RETRY_MS / 1000} s`
        const changed = note !== this.#note
        this.#note = note
        this.#retry = setTimeout(() => this.#request(), RETRY_MS)
        this.#retry.unref?.()
        if (changed) this.#onChange()
      },
    )
  }
}
