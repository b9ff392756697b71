import { hostname } from 'node:os'
import { type FleetHost, type HealthFleet, MaintenanceRefusedError, type Status } from '@healthgate/core'
import { type ErrorHandler, optionReader, withDeadline } from '@healthgate/core/primitives'
import { ADMIT_SCRIPT, LEAVE_SCRIPT, PUBLISH_SCRIPT } from './fleet-scripts.js'
import type { RedisFleetClientLike } from './types.js'

/** Options of {@link redisFleet}. */
export interface RedisFleetOptions {
  /** The application's ioredis `Redis` or `Cluster`. Borrowed, never closed. */
  client: RedisFleetClientLike
  /** The fleet's name: instances with the same `service` (and `key`) form one fleet. */
  service: string
  /** This instance's id in the fleet, unique within it. Default: `` `${os.hostname()}:${process.pid}` ``. */
  instanceId?: string
  /** Where this instance can be reached (e.g. `10.0.0.7:3000`), shown in the fleet view. Default: none. */
  address?: string
  /** Key prefix; the keys are `` `${key}:{${service}}:members` `` and `` `…:expires` ``. Default: `'healthgate:fleet'`. */
  key?: string
  /** How often this instance publishes its state and reads the fleet's, in ms. Default: 1000. */
  intervalMs?: number
  /** An instance not heard from for this long leaves the fleet (e.g. after `kill -9`), in ms. Default: 5000. */
  ttlMs?: number
  /**
   * Disruption budget: entering maintenance is refused (409 on the admin API) when it would leave fewer ready
   * instances: a count (`2`) or a percentage of the fleet (`'50%'`). Default: none (never refused).
   */
  minAvailable?: number | string
  /**
   * Panic threshold, a fraction (`0.5`): while the share of ready instances in the fleet is below it, a
   * readiness that fails on a critical check answers 200 `warn` naming the panic, so that a balancer without
   * fail-open keeps the fleet. Maintenance and draining still answer 503. Default: none (off).
   */
  panicThreshold?: number
  /** Deadline of one Redis command in ms. Default: 1000. */
  timeoutMs?: number
  /** Receives errors of the background publishing. Default: none (the fleet shows as unknown instead). */
  onError?: ErrorHandler
}

/** One instance as the fleet view lists it. */
export interface FleetInstance {
  id: string
  /** Readiness status without the panic: what the fleet counts. */
  status: Status
  /** Counted as ready: status not `fail`, not in maintenance, not draining. */
  ready: boolean
  state: string
  maintenance: boolean
  draining: boolean
  /** Readiness held at 200 by the panic threshold. */
  panic: boolean
  version?: string
  address?: string
  /** ISO time of the instance's last publication (Redis' clock). */
  lastSeen: string
}

/** `GET /health/fleet`. `fleet: 'unknown'` when Redis cannot be read: then `instances` is empty. */
export interface FleetView {
  service: string
  instanceId: string
  fleet: 'known' | 'unknown'
  note?: string
  ready: number
  total: number
  minAvailable?: number | string
  panicThreshold?: number
  panic: boolean
  instances: FleetInstance[]
}

/** A fleet joined through Redis (see {@link redisFleet}). */
export interface RedisFleet extends HealthFleet {
  readonly instanceId: string
  readonly service: string
  view(): Promise<FleetView>
  /** Publishes this instance's state now and reads the fleet's. Never rejects. */
  sync(): Promise<void>
}

/** What an instance publishes: the view's fields but its id, and Redis' time of publication. */
interface Published extends Omit<FleetInstance, 'id' | 'lastSeen'> {
  seen?: number
}

const KEYS = [
  'client',
  'service',
  'instanceId',
  'address',
  'key',
  'intervalMs',
  'ttlMs',
  'minAvailable',
  'panicThreshold',
  'timeoutMs',
  'onError',
]
const UNKNOWN_NOTE = 'Redis unreachable: the fleet is unknown'
const noop = (): void => {}

/** `2` -> count 2; `'50%'` -> percentage 50. */
function readMinAvailable(reader: ReturnType<typeof optionReader>, value: unknown) {
  if (value === undefined) return undefined
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { count: value, percent: -1 }
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : null
  if (match && Number(match[1]) <= 100) return { count: 0, percent: Number(match[1]) }
  return reader.fail('minAvailable', "a count (an integer >= 0) or a percentage such as '50%'", value)
}

function parseMembers(flat: unknown): Map<string, Published> {
  const members = new Map<string, Published>()
  if (!Array.isArray(flat)) return members
  for (let i = 0; i + 1 < flat.length; i += 2) {
    try {
      const record = JSON.parse(String(flat[i + 1])) as Published
      if (record && typeof record === 'object') members.set(String(flat[i]), record)
    } catch {
      // A field not written by healthgate: not a member.
    }
  }
  return members
}

const isReady = (record: Published): boolean => record.ready && !record.maintenance && !record.draining

/**
 * Joins a fleet of instances through Redis: pass it as `createHealth({ fleet })`. Every `intervalMs` (and at
 * once on a change) this instance publishes its readiness, maintenance, drain state, version and address
 * with an expiry of `ttlMs`, and reads everyone else's, in one atomic script. Publishing never blocks a
 * health request: while Redis is unreachable the fleet is unknown, the budget refuses unless forced, and the
 * panic threshold is off once the last view is older than `ttlMs`.
 */
export function redisFleet(options: RedisFleetOptions): RedisFleet {
  const reader = optionReader('redisFleet')
  if (options === undefined) reader.fail('options', 'an object with a `client` and a `service`', options)
  const opts = reader.object(options, KEYS)
  const client = opts.client as RedisFleetClientLike
  if (!client || typeof client.eval !== 'function')
    reader.fail('client', 'an ioredis Redis or Cluster', client)
  const text = (option: string, value: unknown): string => {
    if (typeof value !== 'string' || value.trim() === '')
      return reader.fail(option, 'a non-empty string', value)
    return value
  }
  const service = text('service', opts.service)
  const instanceId = text('instanceId', opts.instanceId ?? `${hostname()}:${process.pid}`)
  const address = opts.address === undefined ? undefined : text('address', opts.address)
  const prefix = text('key', opts.key ?? 'healthgate:fleet')
  const intervalMs = reader.positiveNumber('intervalMs', opts.intervalMs, 1000)
  const ttlMs = reader.positiveNumber('ttlMs', opts.ttlMs, 5000)
  if (ttlMs <= intervalMs) reader.fail('ttlMs', `more than intervalMs (${intervalMs})`, ttlMs)
  const budget = readMinAvailable(reader, opts.minAvailable)
  const panicThreshold =
    opts.panicThreshold === undefined ? undefined : reader.ratio('panicThreshold', opts.panicThreshold)
  const timeoutMs = reader.positiveNumber('timeoutMs', opts.timeoutMs, 1000)
  const onError = reader.func<ErrorHandler>('onError', opts.onError) ?? noop
  const keys = [`${prefix}:{${service}}:members`, `${prefix}:{${service}}:expires`]

  let host: FleetHost | undefined
  let members = new Map<string, Published>()
  let knownAt: number | undefined
  let reserved = false
  let panicOutput: string | undefined
  let closed = false
  let inflight: Promise<void> | undefined
  let queued: Promise<void> | undefined
  let admitting: Promise<unknown> | undefined
  let offChange = noop
  let timer: ReturnType<typeof setInterval> | undefined

  // Commands past their deadline and still unanswered: while there are any, no new one is queued behind them.
  let stuck = 0
  const run = (script: string, args: (string | number)[]): Promise<unknown> => {
    if (client.status !== 'ready') return Promise.reject(new Error(`Redis connection is ${client.status}`))
    if (stuck > 0) return Promise.reject(new Error('an earlier fleet command is still unanswered'))
    const sent = client.eval(script, keys.length, ...keys, ...args)
    return withDeadline(() => sent, timeoutMs, {
      timeoutReason: () => {
        stuck++
        const settled = () => {
          stuck--
        }
        sent.then(settled, settled)
        return new Error(`fleet command timed out after ${timeoutMs} ms`)
      },
    })
  }

  const record = (): Published => {
    const readiness = host?.readiness()
    const own: Published = {
      status: readiness?.status ?? 'fail',
      ready: readiness !== undefined && readiness.status !== 'fail',
      state: readiness?.state ?? 'starting',
      maintenance: (readiness?.maintenance ?? false) || reserved,
      draining: readiness?.draining ?? false,
      panic: panicOutput !== undefined,
    }
    if (host?.version !== undefined) own.version = host.version
    if (address !== undefined) own.address = address
    return own
  }

  /** Whether this instance's readiness fails on its checks (not maintenance, draining or startup). */
  const failingHere = (): boolean => {
    const own = host?.readiness()
    return (
      own !== undefined && own.status === 'fail' && own.state === 'ready' && !own.maintenance && !own.draining
    )
  }

  /** The panic output: this instance fails on its checks and the fleet's ready share is below the threshold. */
  const decidePanic = (): string | undefined => {
    if (panicThreshold === undefined || knownAt === undefined || !host) return undefined
    if (performance.now() - knownAt > ttlMs || !failingHere()) return undefined
    let total = 0
    let ready = 0
    for (const [id, member] of members) {
      // Instances taken out on purpose (maintenance, draining) are not part of the outage, nor are those still
      // starting (no check result yet): their readiness is not known.
      if (id === instanceId || member.maintenance || member.draining || member.state === 'starting') continue
      total++
      if (isReady(member)) ready++
    }
    total++ // This instance, failing.
    const share = ready / total
    if (share >= panicThreshold) return undefined
    return `fleet panic: ${ready} of ${total} instances ready (${Math.round(share * 100)} %), below the panic threshold of ${Math.round(panicThreshold * 100)} %: staying in the balancer`
  }

  const updatePanic = (): void => {
    const next = decidePanic()
    const changed = (next === undefined) !== (panicOutput === undefined)
    panicOutput = next
    if (changed) host?.panicChanged()
  }

  const publishOnce = async (): Promise<void> => {
    // Not while an admission is decided: this instance's record would be written with a guess at its outcome.
    await admitting
    try {
      const reply = (await run(PUBLISH_SCRIPT, [instanceId, ttlMs, JSON.stringify(record())])) as unknown[]
      if (closed) return
      members = parseMembers(reply[1])
      knownAt = performance.now()
    } catch (error) {
      if (!closed) onError(error)
    }
    if (!closed) updatePanic()
  }

  /** Publishes now; during a publication, once more right after it (that one may predate the change). */
  const sync = (): Promise<void> => {
    if (closed || !host) return Promise.resolve()
    if (!inflight) {
      inflight = publishOnce().finally(() => {
        inflight = undefined
      })
      return inflight
    }
    queued ??= inflight.then(() => {
      queued = undefined
      return sync()
    })
    return queued
  }

  const refuse = (why: string): never => {
    throw new MaintenanceRefusedError(
      `maintenance refused by the disruption budget (minAvailable: ${String(opts.minAvailable)}): ${why}`,
    )
  }

  return {
    instanceId,
    service,
    sync,
    attach(attached) {
      if (host) throw new Error('redisFleet is already attached to a health')
      host = attached
      offChange = attached.onChange(() => {
        updatePanic()
        void sync()
      })
      // A quarter of the interval while this instance fails and could join a panic: the rest of the fleet's
      // failures are seen within a fraction of the balancer's fall, not a whole interval later.
      const fast = Math.max(50, intervalMs / 4)
      let last = 0
      timer = setInterval(() => {
        const now = performance.now()
        if (now - last >= intervalMs - fast / 2 || (panicThreshold !== undefined && failingHere())) {
          last = now
          void sync()
        }
      }, fast)
      timer.unref?.()
      void sync()
    },
    panic: () => panicOutput,
    async admitMaintenance({ force }) {
      const release = () => {
        reserved = false
        void sync()
      }
      if (force || budget === undefined) {
        reserved = true
        return release
      }
      const own = JSON.stringify({ ...record(), maintenance: true })
      let decided = noop
      admitting = new Promise<void>((resolve) => {
        decided = resolve
      })
      let reply: number[]
      try {
        const answer = await run(ADMIT_SCRIPT, [instanceId, ttlMs, budget.count, budget.percent, own])
        reply = (answer as unknown[]).map(Number)
        // Set before any publication goes out again: they now carry the reservation.
        reserved = reply[0] === 1
      } catch {
        return refuse(`${UNKNOWN_NOTE}, so the budget cannot be checked; force to enter anyway`)
      } finally {
        admitting = undefined
        decided()
      }
      const [admitted, ready, total, required] = reply
      if (admitted !== 1) {
        refuse(
          `${ready} of ${total} instances are ready; taking this one out needs at least ${required} to stay ready`,
        )
      }
      return release
    },
    async view(): Promise<FleetView> {
      const base = {
        service,
        instanceId,
        ...(budget ? { minAvailable: opts.minAvailable as number | string } : {}),
      }
      const extra = panicThreshold === undefined ? {} : { panicThreshold }
      let reply: unknown[]
      try {
        reply = (await run(PUBLISH_SCRIPT, [instanceId, ttlMs, ''])) as unknown[]
      } catch {
        return {
          ...base,
          ...extra,
          fleet: 'unknown',
          note: UNKNOWN_NOTE,
          ready: 0,
          total: 0,
          panic: false,
          instances: [],
        }
      }
      const instances: FleetInstance[] = []
      for (const [id, member] of parseMembers(reply[1])) {
        const instance: FleetInstance = {
          id,
          status: member.status,
          ready: isReady(member),
          state: member.state,
          maintenance: member.maintenance === true,
          draining: member.draining === true,
          panic: member.panic === true,
          lastSeen: new Date(Number(member.seen) || 0).toISOString(),
        }
        if (member.version !== undefined) instance.version = member.version
        if (member.address !== undefined) instance.address = member.address
        instances.push(instance)
      }
      instances.sort((a, b) => a.id.localeCompare(b.id))
      const ready = instances.filter((instance) => instance.ready).length
      return {
        ...base,
        ...extra,
        fleet: 'known',
        ready,
        total: instances.length,
        panic: panicOutput !== undefined,
        instances,
      }
    },
    async close() {
      if (closed) return
      closed = true
      if (timer) clearInterval(timer)
      offChange()
      await inflight
      await run(LEAVE_SCRIPT, [instanceId]).catch(noop)
    },
  }
}
