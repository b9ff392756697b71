/**
 * The parts of an ioredis `Redis` connection healthgate uses. Declared structurally so that ioredis 5 and 6
 * (whose classes differ in their generics) both fit.
 */
export interface RedisConnectionLike {
  /** ioredis connection status: `'ready'` is the only one in which a command is sent at once. */
  readonly status: string
  readonly options?: { host?: string; port?: number; path?: string | null }
  readonly isCluster?: boolean
  /** Sends PING. */
  ping(): Promise<unknown>
}

/** The parts of an ioredis `Cluster` the check uses. */
export interface RedisClusterLike {
  readonly status: string
  readonly isCluster: boolean
  /** The cluster's master connections. */
  nodes(role: 'master'): RedisConnectionLike[]
  /** Slot map: `slots[slot]` lists `host:port` of the slot's master, then its replicas. */
  readonly slots?: ReadonlyArray<readonly string[] | undefined>
  /** Reloads the slot map. */
  refreshSlotsCache?(callback?: (error?: Error | null) => void): void
  /** Sends PING. */
  ping(): Promise<unknown>
}

/** An ioredis `Redis` or `Cluster`. */
export type RedisClientLike = RedisConnectionLike | RedisClusterLike

/** A connection the maintenance store can subscribe with (an ioredis `duplicate()` of the application's). */
export interface RedisSubscriberLike {
  readonly status: string
  /** Subscribes to `channel`. */
  subscribe(channel: string): Promise<unknown>
  /** A message published on a subscribed channel. */
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  /** The connection is ready (again). */
  on(event: 'ready', listener: () => void): unknown
  /** A connection error. */
  on(event: 'error', listener: (error: Error) => void): unknown
  /** Closes the connection. */
  disconnect(): void
}

/** The commands the maintenance store sends on the application's ioredis `Redis` or `Cluster`. */
export interface RedisMaintenanceClientLike {
  readonly status: string
  /** Reads a hash. */
  hgetall(key: string): Promise<Record<string, string>>
  /** Sets a hash field. */
  hset(key: string, field: string, value: string): Promise<unknown>
  /** Deletes a hash field. */
  hdel(key: string, field: string): Promise<unknown>
  /** Publishes a message. */
  publish(channel: string, message: string): Promise<unknown>
  /** A new connection with the same options (for subscribing). */
  duplicate(): RedisSubscriberLike
  /** The connection is ready (again). */
  on(event: 'ready', listener: () => void): unknown
  /** Removes a listener. */
  removeListener(event: 'ready', listener: () => void): unknown
}

/** The command the fleet sends on the application's ioredis `Redis` or `Cluster`: its Lua scripts. */
export interface RedisFleetClientLike {
  readonly status: string
  /** Runs a Lua script (`EVAL`). */
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>
}
