import type { CheckDefinition, CheckOptions, CheckOutcome } from '@healthgate/core'
import {
  CHECK_OPTION_KEYS,
  checkAbortError,
  optionReader,
  readCheckName,
  readCheckOptions,
  sanitizeOutput,
  untilAborted,
} from '@healthgate/core/primitives'
import type { RedisClientLike, RedisClusterLike, RedisConnectionLike } from './types.js'

/** Options of {@link redisCheck}. */
export interface RedisCheckOptions extends CheckOptions {
  /** Check name. Default: `'redis'`. */
  name?: string
}

const noop = (): void => {}
const KEYS = ['name', ...CHECK_OPTION_KEYS]
const round = (ms: number): number => Math.round(ms * 100) / 100

/** An error's message; duck-typed because socket errors may come from another realm. */
function messageOf(error: unknown): string {
  const message =
    typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined
  return sanitizeOutput(typeof message === 'string' && message !== '' ? message : error)
}

export function isCluster(client: RedisClientLike): client is RedisClusterLike {
  return client.isCluster === true && typeof (client as Partial<RedisClusterLike>).nodes === 'function'
}

/** `host:port` (or the socket path) of a connection, for outputs that must say which node failed. */
export function nodeAddress(node: RedisConnectionLike): string {
  const options = node.options ?? {}
  if (options.path) return options.path
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`
}

/**
 * Creates a Redis check on the application's ioredis `Redis` or `Cluster`, which it borrows and never closes.
 *
 * It never waits in ioredis' offline queue: a connection that is not `ready` (reconnecting, connecting,
 * closed) fails the check at once. On a Cluster, every master must answer PING; the output names the ones
 * that did not.
 */
export function redisCheck(
  target: { client: RedisClientLike },
  options: RedisCheckOptions = {},
): CheckDefinition {
  const read = optionReader('redisCheck')
  if (target === null || typeof target !== 'object' || !target.client || typeof target.client !== 'object') {
    read.fail('target', '`{ client }` with an ioredis Redis or Cluster', target)
  }
  const opts = read.object(options, KEYS)
  const { client } = target
  if (typeof client.status !== 'string' || typeof client.ping !== 'function') {
    read.fail('client', 'an ioredis Redis or Cluster', client)
  }
  const name = readCheckName(read, opts.name, 'redis')
  const base = { name, ...readCheckOptions(read, opts, { critical: true, componentType: 'datastore' }) }
  // A PING still unanswered after its deadline: no second one is queued behind it on the same connection.
  const outstanding = new WeakMap<object, number>()

  const ping = async (
    connection: RedisConnectionLike | RedisClusterLike,
    signal: AbortSignal,
  ): Promise<number> => {
    const since = outstanding.get(connection)
    if (since !== undefined) {
      throw new Error(`previous PING still unanswered after ${Math.round(performance.now() - since)} ms`)
    }
    if (signal.aborted) throw checkAbortError(signal)
    const started = performance.now()
    const reply = connection.ping()
    outstanding.set(connection, started)
    const clear = (): void => {
      if (outstanding.get(connection) === started) outstanding.delete(connection)
    }
    reply.then(clear, clear)
    try {
      await untilAborted(reply, signal)
    } catch (error) {
      if (signal.aborted) throw checkAbortError(signal)
      throw new Error(`PING failed: ${messageOf(error)}`, { cause: error })
    }
    return round(performance.now() - started)
  }

  const check = async (signal: AbortSignal): Promise<CheckOutcome> => {
    if (client.status !== 'ready') {
      throw new Error(`Redis connection is ${client.status}, not ready; not waiting for it`)
    }
    if (!isCluster(client)) {
      return { observedValue: await ping(client, signal), observedUnit: 'ms' }
    }
    const masters = client.nodes('master')
    if (masters.length === 0) throw new Error('Redis Cluster knows no master node')
    const results = await Promise.allSettled(
      masters.map(async (node) => {
        // `wait` is a node connection not opened yet (ioredis connects Cluster nodes lazily): PING opens it.
        if (node.status !== 'ready' && node.status !== 'wait') {
          throw new Error(`connection is ${node.status}, not ready`)
        }
        return ping(node, signal)
      }),
    )
    if (signal.aborted) throw checkAbortError(signal)
    const failures: string[] = []
    let slowest = 0
    results.forEach((result, index) => {
      const node = masters[index] as RedisConnectionLike
      if (result.status === 'fulfilled') slowest = Math.max(slowest, result.value)
      else failures.push(`${nodeAddress(node)}: ${messageOf(result.reason)}`)
    })
    // ioredis drops a node whose connection ended from `nodes()`, yet its slots still point at it.
    const { missing, uncovered } = slotOwners(client, new Set(masters.map(nodeAddress)))
    for (const address of missing) failures.push(`${address}: not connected, yet slots are assigned to it`)
    if (missing.length > 0) {
      // What the application's next command to that master would do. Without it a drained, idle instance
      // would never reconnect and stay unready for good.
      client.refreshSlotsCache?.(noop)
    }
    const problems = [...failures]
    if (failures.length > 0) {
      problems[0] = `${failures.length} of ${masters.length + missing.length} Redis Cluster masters failed: ${failures[0]}`
    }
    if (uncovered > 0) problems.push(`${uncovered} of ${SLOT_COUNT} Redis Cluster slots have no master`)
    if (problems.length > 0) throw new Error(problems.join('; '))
    return {
      observedValue: slowest,
      observedUnit: 'ms',
      measurements: { masters: { observedValue: masters.length } },
    }
  }

  return { ...base, check }
}

const SLOT_COUNT = 16384

/** Masters named in the slot map that `nodes('master')` no longer holds, and slots without any master. */
function slotOwners(
  cluster: RedisClusterLike,
  connected: ReadonlySet<string>,
): { missing: string[]; uncovered: number } {
  const { slots } = cluster
  // Before the first slot refresh the map is empty: nothing to compare yet.
  if (!Array.isArray(slots) || slots.length === 0) return { missing: [], uncovered: 0 }
  const missing = new Set<string>()
  let uncovered = 0
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const owner = slots[slot]?.[0]
    if (owner === undefined) uncovered++
    else if (!connected.has(owner)) missing.add(owner)
  }
  return { missing: [...missing], uncovered }
}
