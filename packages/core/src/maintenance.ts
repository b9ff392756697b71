import { type ErrorHandler, Listeners } from './primitives/listeners.js'
import { optionReader } from './primitives/options.js'
import type { MaintenanceState, MaintenanceStore } from './types.js'

/** Options of {@link memoryMaintenance}. */
export interface MemoryMaintenanceOptions {
  /** Receives what a subscriber threw; it never rejects `set()` nor stops the other subscribers. Default: a process warning. */
  onError?: (error: unknown) => void
}

const read = optionReader('memoryMaintenance')
const MEMORY_KEYS = Object.keys({ onError: true } satisfies Record<keyof MemoryMaintenanceOptions, true>)

/** Keeps the maintenance flag in this process only. The default store. */
export function memoryMaintenance(options?: MemoryMaintenanceOptions): MaintenanceStore {
  const { onError } = read.object(options, MEMORY_KEYS)
  const listeners = new Listeners<MaintenanceState>(read.func<ErrorHandler>('onError', onError))
  let state: MaintenanceState = Object.freeze({ enabled: false, source: 'memory' })
  return {
    read: () => state,
    async set(enabled, reason) {
      if (enabled === state.enabled && reason === state.reason) return
      state = Object.freeze(
        enabled
          ? {
              enabled,
              source: 'memory',
              since: state.since ?? new Date().toISOString(),
              ...(reason ? { reason } : {}),
            }
          : { enabled, source: 'memory' },
      )
      listeners.emit(state)
    },
    subscribe: (listener) => listeners.add(listener),
    close() {
      listeners.clear()
    },
  }
}

/**
 * Whether a report built under maintenance state `a` still shows it as it is under `b`: every field a
 * body or the admin API renders (the notes show `since`, `source`, `reason` and `note`). Stores hand out
 * the same frozen object until something changes, so the first comparison nearly always decides.
 */
export function sameMaintenance(a: MaintenanceState, b: MaintenanceState): boolean {
  return (
    a === b ||
    (a.enabled === b.enabled &&
      a.reason === b.reason &&
      a.since === b.since &&
      a.source === b.source &&
      a.scope === b.scope &&
      a.stale === b.stale &&
      a.note === b.note)
  )
}
