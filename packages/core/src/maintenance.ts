import type { MaintenanceState, MaintenanceStore } from './types.js'

/** Keeps the maintenance flag in this process only. The default store. */
export function memoryMaintenance(): MaintenanceStore {
  let state: MaintenanceState = Object.freeze({ enabled: false, source: 'memory' })
  const listeners = new Set<(state: MaintenanceState) => void>()
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
      for (const listener of listeners) listener(state)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {
      listeners.clear()
    },
  }
}
