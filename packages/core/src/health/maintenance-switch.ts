import { describeValue } from '../sanitize.js'
import type { MaintenanceState, MaintenanceStore } from '../types.js'

/** The maintenance flag of a health, over the store it lives in. `onChange` runs after every change. */
export class MaintenanceSwitch {
  readonly #store: MaintenanceStore
  readonly #onChange: () => void
  readonly #unsubscribe: (() => void) | undefined

  constructor(store: MaintenanceStore, onChange: () => void) {
    this.#store = store
    this.#onChange = onChange
    // A store shared with other processes (a file, Redis) changes without set() being called here.
    this.#unsubscribe = store.subscribe?.(() => onChange())
  }

  /** Synchronous and cheap: on every readiness request. */
  read(): MaintenanceState {
    return this.#store.read()
  }

  async enter(reason?: string): Promise<void> {
    if (reason !== undefined && typeof reason !== 'string') {
      throw new TypeError(`Expected \`reason\` to be a string, got ${describeValue(reason)}`)
    }
    await this.#store.set(true, reason)
    this.#onChange()
  }

  async leave(): Promise<void> {
    await this.#store.set(false)
    this.#onChange()
  }

  close(): Promise<void> | void {
    this.#unsubscribe?.()
    return this.#store.close?.()
  }
}
