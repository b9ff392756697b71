/**
 * The parts of an ioredis `Redis` connection healthgate uses. Declared structurally so that ioredis 5 and 6
 * (whose classes differ in their generics) both fit.
 */
export interface RedisConnectionLike {
  /** ioredis connection status: `'ready'` is the only one in which a command is sent at once. */
  readonly status: string
  readonly options?: { host?: string; port?: number; path?: string | null }
  readonly isCluster?: boolean
  ping(): Promise<unknown>
}

/** The parts of an ioredis `Cluster` the check uses. */
export interface RedisClusterLike {
  readonly status: string
  readonly isCluster: boolean
  nodes(role: 'master'): RedisConnectionLike[]
  /** Slot map: `slots[slot]` lists `host:port` of the slot's master, then its replicas. */
  readonly slots?: ReadonlyArray<readonly string[] | undefined>
  refreshSlotsCache?(callback?: (error?: Error | null) => void): void
  ping(): Promise<unknown>
}

/** An ioredis `Redis` or `Cluster`. */
export type RedisClientLike = RedisConnectionLike | RedisClusterLike

/** A connection the maintenance store can subscribe with (an ioredis `duplicate()` of the application's). */
export interface RedisSubscriberLike {
  readonly status: string
  subscribe(channel: string): Promise<unknown>
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  on(event: 'ready', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  disconnect(): void
}

/** The commands the maintenance store sends on the application's ioredis `Redis` or `Cluster`. */
export interface RedisMaintenanceClientLike {
  readonly status: string
  hgetall(key: string): Promise<Record<string, string>>
  hset(key: string, field: string, value: string): Promise<unknown>
  hdel(key: string, field: string): Promise<unknown>
  publish(channel: string, message: string): Promise<unknown>
  duplicate(): RedisSubscriberLike
  on(event: 'ready', listener: () => void): unknown
  removeListener(event: 'ready', listener: () => void): unknown
}
