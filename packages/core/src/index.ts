export type { DetachHealth, FastPathServer } from './attach.js'
export { attachHealth } from './attach.js'
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
export type { DrainStatus, DrainWaitResult, Prober, WaitForDrainOptions } from './health/drain.js'
export type {
  AdminEvent,
  CheckChangeEvent,
  CheckRunEvent,
  DrainEvent,
  LifecycleChangeEvent,
  MaintenanceChangeEvent,
  PanicChangeEvent,
  ShutdownStepEvent,
  StatusChangeEvent,
} from './health/events.js'
export type {
  EnterMaintenanceOptions,
  FleetHost,
  FleetReadiness,
  HealthFleet,
} from './health/fleet.js'
export { isMaintenanceRefusedError, MaintenanceRefusedError } from './health/fleet.js'
export type { HealthLogger } from './health/log.js'
export type { HealthOptions } from './health/options.js'
export type { ProberMatchOptions } from './health/prober-match.js'
export { DEFAULT_PROBER_USER_AGENTS } from './health/prober-match.js'
export type { MaintenanceStatus } from './health.js'
export { aggregateStatus, createHealth, Health } from './health.js'
export type { MemoryMaintenanceOptions } from './maintenance.js'
export { memoryMaintenance, sameMaintenance } from './maintenance.js'
export type { NodeListener, TuneOptions } from './node.js'
export { createAdminListener, createNodeListener, tuneForLoadBalancer } from './node.js'
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
