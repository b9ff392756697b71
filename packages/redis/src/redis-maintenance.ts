import { hostname } from 'node:os'
import { type MaintenanceState, type MaintenanceStore, sameMaintenance } from '@healthgate/core'
import { type ErrorHandler, Listeners, optionReader, withDeadline } from '@healthgate/core/primitives'
import type { RedisMaintenanceClientLike, RedisSubscriberLike } from './types.js'

/** Options of {@link redisMaintenance}. */
export interface RedisMaintenanceOptions {
  /** The application's ioredis `Redis` or `Cluster`. Borrowed, never closed. */
  client: RedisMaintenanceClientLike
  /** Hash holding the flags: field `fleet` for every instance, `instance:<id>` for one. Default: `'healthgate:maintenance'`. */
  key?: string
  /** Pub/sub channel announcing a change. Default: `` `${key}:changed` ``. */
  channel?: string
  /** This instance's id, shared with nothing else. Default: `` `${os.hostname()}:${process.pid}` ``. */
  instanceId?: string
  /** Safety-net re-read interval in ms (changes normally arrive through pub/sub at once). Default: 5000. */
  refreshMs?: number
  /** Deadline of one Redis command in ms; a read that misses it marks the state stale. Default: 1000. */
  timeoutMs?: number
  /**
   * Receives what a `subscribe()` listener throws (or rejects with); a throwing listener never stops the
   * others or the refresh loop. Default: a process warning.
   */
  onError?: ErrorHandler
}

/** A maintenance store shared by a fleet through Redis (see {@link redisMaintenance}). */
export interface RedisMaintenanceStore extends MaintenanceStore {
  /** This instance's id in the hash (`instance:<id>`). */
  readonly instanceId: string
  /** Enter or leave maintenance for every instance sharing the key. Resolves once this instance reads it. */
  setFleetMaintenance(enabled: boolean, reason?: string): Promise<void>
  /** Re-reads the flags now. Never rejects: a failure marks the state stale. */
  refresh(): Promise<void>
  /** Resolves after the first successful read from Redis, or after `timeoutMs` if there is none by then. */
  readonly ready: Promise<void>
  /** Unsubscribes and disconnects the store's own subscriber connection; the client passed in stays open. */
  close(): Promise<void>
}

const FLEET_FIELD = 'fleet'
const STALE_NOTE = 'redis unreachable; keeping last known maintenance state'
const MAX_REASON = 200
const noop = (): void => {}

interface Flag {
  reason?: string
  since?: string
}

const KEYS = ['client', 'key', 'channel', 'instanceId', 'refreshMs', 'timeoutMs', 'onError']

/**
 * A field's value: JSON `{ reason, since }` as written by this store, or any plain string (e.g. set by hand
 * with `HSET healthgate:maintenance fleet "database migration"`), which is taken as the reason.
 */
function parseFlag(raw: string | undefined): Flag | undefined {
  if (raw === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(raw)
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const { reason, since } = parsed as Record<string, unknown>
      const flag: Flag = {}
      if (typeof reason === 'string' && reason !== '') flag.reason = reason.slice(0, MAX_REASON)
      if (typeof since === 'string' && since !== '') flag.since = since
      return flag
    }
  } catch {
    // Not JSON: a plain string.
  }
  const reason = raw.trim().slice(0, MAX_REASON)
  return reason === '' ? {} : { reason }
}

/** A Redis command that may never answer (ioredis cannot cancel one), given up after `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(() => work, ms, { timeoutReason: () => new Error(`${what} timed out after ${ms} ms`) })
}

/**
 * Keeps the maintenance flag in a Redis hash shared by a fleet of instances: one field for the whole fleet,
 * one per instance. A change is published on a channel so that every instance sees it at once (a dedicated
 * subscriber connection, `client.duplicate()`, owned and closed by the store), and re-read every `refreshMs`
 * as a safety net. `read()` serves the cached value. While Redis is unreachable the last known state is
 * kept and marked `stale`: the fleet never flaps because Redis blinked. Reads never wait in ioredis' offline
 * queue.
 */
export function redisMaintenance(options: RedisMaintenanceOptions): RedisMaintenanceStore {
  const reader = optionReader('redisMaintenance')
  if (options === undefined) reader.fail('options', 'an object with a `client`', options)
  const opts = reader.object(options, KEYS)
  const client = opts.client as RedisMaintenanceClientLike
  if (!client || typeof client.hgetall !== 'function' || typeof client.duplicate !== 'function') {
    reader.fail('client', 'an ioredis Redis or Cluster', client)
  }
  const text = (option: string, value: unknown): string => {
    if (typeof value !== 'string' || value.trim() === '')
      return reader.fail(option, 'a non-empty string', value)
    return value
  }
  const key = text('key', opts.key ?? 'healthgate:maintenance')
  const channel = text('channel', opts.channel ?? `${key}:changed`)
  const instanceId = text('instanceId', opts.instanceId ?? `${hostname()}:${process.pid}`)
  const refreshMs = reader.positiveNumber('refreshMs', opts.refreshMs, 5000)
  const timeoutMs = reader.positiveNumber('timeoutMs', opts.timeoutMs, 1000)
  const onError = reader.func<ErrorHandler>('onError', opts.onError)
  const instanceField = `instance:${instanceId}`

  let state: MaintenanceState = Object.freeze({
    enabled: false,
    source: 'redis',
    stale: true,
    note: 'maintenance state not read from redis yet',
  })
  const listeners = new Listeners<MaintenanceState>(onError)
  let closed = false
  let inflight: Promise<void> | undefined
  // A read still unanswered past its deadline: no second one is queued behind it.
  let outstandingSince: number | undefined
  let fleetFlag: Flag | undefined
  let instanceFlag: Flag | undefined
  let loaded: () => void = noop
  const ready = new Promise<void>((resolve) => {
    loaded = resolve
  })
  // `ready` must not hang a caller when Redis is down at startup.
  const readyTimer = setTimeout(() => loaded(), timeoutMs)
  readyTimer.unref()

  const emit = (next: MaintenanceState): void => {
    if (sameMaintenance(state, next)) return
    state = Object.freeze(next)
    listeners.emit(state)
  }

  const markStale = (): void => {
    emit({ ...state, stale: true, note: STALE_NOTE })
  }

  /** The state the cached flags describe; the fleet flag wins over this instance's own. */
  const compute = (): MaintenanceState => {
    const flag = fleetFlag ?? instanceFlag
    if (!flag) return { enabled: false, source: 'redis' }
    const next: MaintenanceState = { enabled: true, source: 'redis', scope: fleetFlag ? 'fleet' : 'instance' }
    if (flag.reason !== undefined) next.reason = flag.reason
    if (flag.since !== undefined) next.since = flag.since
    return next
  }

  const apply = (hash: Record<string, string> | null | undefined): void => {
    if (closed) return
    fleetFlag = parseFlag(hash?.[FLEET_FIELD])
    instanceFlag = parseFlag(hash?.[instanceField])
    emit(compute())
    loaded()
  }

  const read = async (): Promise<void> => {
    if (outstandingSince !== undefined || client.status !== 'ready') {
      markStale()
      return
    }
    const started = performance.now()
    const reply = client.hgetall(key)
    outstandingSince = started
    // A reply that arrives after its deadline is still the newest state there is.
    reply.then(
      (hash) => {
        if (outstandingSince !== started) return
        outstandingSince = undefined
        apply(hash)
      },
      () => {
        if (outstandingSince === started) outstandingSince = undefined
      },
    )
    try {
      apply(await withTimeout(reply, timeoutMs, 'maintenance read'))
    } catch {
      if (!closed) markStale()
    }
  }

  const refresh = (): Promise<void> => {
    if (closed) return Promise.resolve()
    inflight ??= read().finally(() => {
      inflight = undefined
    })
    return inflight
  }

  /** Reads again even when a read is in flight: that one may have started before the change. */
  const reread = async (): Promise<void> => {
    await inflight
    await refresh()
  }

  const setter = optionReader('store.set')
  const write = async (field: string, enabled: boolean, reason: string | undefined): Promise<void> => {
    if (closed) throw new Error('maintenance store is closed')
    if (typeof enabled !== 'boolean') setter.fail('enabled', 'a boolean', enabled)
    setter.string('reason', reason)
    // Fail fast rather than queue a write that may land minutes later, long after the deploy script gave up.
    if (client.status !== 'ready') {
      throw new Error(`cannot change maintenance: Redis connection is ${client.status}, not ready`)
    }
    const fleet = field === FLEET_FIELD
    let written: Flag | undefined
    if (enabled) {
      const current = fleet ? fleetFlag : instanceFlag
      written = { since: current?.since ?? new Date().toISOString() }
      const trimmed = reason?.trim().slice(0, MAX_REASON)
      if (trimmed) written.reason = trimmed
      await withTimeout(client.hset(key, field, JSON.stringify(written)), timeoutMs, 'maintenance write')
    } else {
      await withTimeout(client.hdel(key, field), timeoutMs, 'maintenance write')
    }
    if (fleet) fleetFlag = written
    else instanceFlag = written
    emit({ ...compute(), ...(state.stale ? { stale: true, note: state.note } : {}) })
    // The write is done; an announcement lost on the way is caught up by the periodic re-read.
    await withTimeout(client.publish(channel, field), timeoutMs, 'maintenance publish').catch(noop)
    await reread()
  }

  const subscriber: RedisSubscriberLike = client.duplicate()
  subscriber.on('error', noop)
  subscriber.on('message', (from) => {
    if (from === channel) void reread()
  })
  let subscribed = false
  const subscribe = (): void => {
    if (subscribed || closed) return
    subscriber.subscribe(channel).then(() => {
      subscribed = true
    }, noop)
  }
  subscriber.on('ready', () => {
    // ioredis resubscribes by itself after a reconnect, but announcements sent meanwhile were lost: re-read.
    subscribe()
    void refresh()
  })
  subscribe()

  const onClientReady = (): void => void refresh()
  client.on('ready', onClientReady)
  const timer = setInterval(() => void refresh(), refreshMs)
  timer.unref()
  void refresh()

  return {
    instanceId,
    ready,
    read: () => state,
    set: (enabled, reason) => write(instanceField, enabled, reason),
    setFleetMaintenance: (enabled, reason) => write(FLEET_FIELD, enabled, reason),
    refresh,
    subscribe: (listener) => listeners.add(listener),
    async close() {
      if (closed) return
      closed = true
      clearInterval(timer)
      clearTimeout(readyTimer)
      loaded()
      client.removeListener('ready', onClientReady)
      listeners.clear()
      subscriber.disconnect()
    },
  }
}
