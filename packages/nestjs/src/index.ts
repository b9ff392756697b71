export { tuneForLoadBalancer } from '@healthgate/core'
export { HEALTHGATE_HEALTH, HealthgateModule, type HealthgateModuleAsyncOptions } from './module.js'
export type {
  HealthgateModuleOptions,
  HealthgateModuleOwnOptions,
  HealthgateShutdownOptions,
} from './options.js'
