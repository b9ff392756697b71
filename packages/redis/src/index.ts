export type { RedisCheckOptions } from './redis-check.js'
export { redisCheck } from './redis-check.js'
export type { FleetInstance, FleetView, RedisFleet, RedisFleetOptions } from './redis-fleet.js'
export { redisFleet } from './redis-fleet.js'
export type { RedisMaintenanceOptions, RedisMaintenanceStore } from './redis-maintenance.js'
export { redisMaintenance } from './redis-maintenance.js'
export type {
  RedisClientLike,
  RedisClusterLike,
  RedisConnectionLike,
  RedisFleetClientLike,
  RedisMaintenanceClientLike,
  RedisSubscriberLike,
} from './types.js'
