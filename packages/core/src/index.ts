export * from './checks/index.js'
export {
  CheckStillRunningError,
  CheckTimeoutError,
  isCheckStillRunningError,
  isCheckTimeoutError,
} from './errors.js'
export type { FileMaintenanceOptions, FileMaintenanceStore } from './file-maintenance.js'
export { fileMaintenance } from './file-maintenance.js'
export type { DetailsMode, HandlerOptions, HealthHandler } from './handler.js'
export { createHandler } from './handler.js'
export type {
  CheckChangeEvent,
  DrainStatus,
  DrainWaitResult,
  HealthOptions,
  LifecycleChangeEvent,
  MaintenanceStatus,
  Prober,
  StatusChangeEvent,
  WaitForDrainOptions,
} from './health.js'
export { aggregateStatus, createHealth, Health } from './health.js'
export type { MemoryMaintenanceOptions } from './maintenance.js'
export { memoryMaintenance, sameMaintenance } from './maintenance.js'
export type { NodeListener, TuneOptions } from './node.js'
export { createNodeListener, tuneForLoadBalancer } from './node.js'
export type { RenderedCheck, RenderedReport } from './render.js'
export { sanitizeOutput } from './sanitize.js'
export type {
  Drainable,
  ShutdownController,
  ShutdownHook,
  ShutdownLogger,
  ShutdownOptions,
  ShutdownResult,
  ShutdownServer,
} from './shutdown.js'
export { installShutdown } from './shutdown.js'
export type * from './types.js'
