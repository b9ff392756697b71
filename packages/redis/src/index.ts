export type { RedisCheckOptions } from './redis-check.js'
export { redisCheck } from './redis-check.js'
export type { RedisMaintenanceOptions, RedisMaintenanceStore } from './redis-maintenance.js'
export { redisMaintenance } from './redis-maintenance.js'
export type {
  RedisClientLike,
  RedisClusterLike,
  RedisConnectionLike,
  RedisMaintenanceClientLike,
  RedisSubscriberLike,
} from './types.js'
