import type { CheckDefinition, CheckOptions, CheckOutcome } from '@healthgate/core'
import {
  CHECK_OPTION_KEYS,
  describeFailure,
  type OwnConnection,
  oneAtATime,
  optionReader,
  ownConnection,
  peerExport,
  readCheckName,
  readCheckOptions,
  sanitizeOutput,
} from '@healthgate/core/primitives'
import type { Channel, ChannelModel } from 'amqplib'

/**
 * What the check talks to:
 * - `{ connection }`: your `amqplib` connection (what `connect()` resolves to); the check opens and closes
 *   one channel on it per run, and never closes the connection.
 * - `{ url }`: the check opens one connection of its own, lazily, reuses it, replaces it after a failure,
 *   and closes it in `close()`.
 */
export type AmqpTarget =
  | { connection: ChannelModel }
  | { url: string; socketOptions?: Record<string, unknown> }

/** Options of {@link amqpCheck}: the common check options plus the RabbitMQ ones. */
export interface AmqpCheckOptions extends CheckOptions {
  /** Check name. Default: `'rabbitmq'`. */
  name?: string
  /** Queues that must exist (checked passively: never created). Default: none. */
  queues?: string[]
  /** Exchanges that must exist (checked passively: never created). Default: none. */
  exchanges?: string[]
  /**
   * What a connection blocked by the broker's flow control (a resource alarm) reports: `'warn'` (HTTP 200,
   * publishing is paused but the broker is up) or `'fail'`. Default: `'warn'`.
   */
  blocked?: 'warn' | 'fail'
}

/** A check definition whose `close()` closes the connection the check owns (if it owns one). */
export interface AmqpCheckDefinition extends CheckDefinition {
  close: () => Promise<void>
}

interface Watched {
  model: ChannelModel
  /** The broker's reason while the connection is blocked. */
  blockedReason: string | undefined
  closed: boolean
  unwatch: () => void
}

const KEYS = ['name', 'queues', 'exchanges', 'blocked', ...CHECK_OPTION_KEYS]
const TARGET = '`{ connection }` or `{ url }`'
const noop = (): void => {}
const round = (ms: number): number => Math.round(ms * 100) / 100
// Bounds a connection attempt of the check's own that its run gave up on; later runs join it meanwhile.
const CONNECT_TIMEOUT_MS = 2000

/** Creates a RabbitMQ (AMQP 0-9-1) check: a channel opens and closes within the deadline. */
export function amqpCheck(target: AmqpTarget, options: AmqpCheckOptions = {}): AmqpCheckDefinition {
  const read = optionReader('amqpCheck')
  if (target === null || typeof target !== 'object') read.fail('target', TARGET, target)
  const opts = read.object(options, KEYS)
  const name = readCheckName(read, opts.name, 'rabbitmq')
  const queues = names(read, 'queues', opts.queues)
  const exchanges = names(read, 'exchanges', opts.exchanges)
  const blocked = read.oneOf('blocked', opts.blocked, ['warn', 'fail'] as const, 'warn')
  const base = { name, ...readCheckOptions(read, opts, { critical: true, componentType: 'component' }) }
  const probe = (connection: Watched, signal: AbortSignal) =>
    openChannel(connection, queues, exchanges, blocked, signal)

  if ('connection' in target) {
    const { connection } = target
    if (
      !connection ||
      typeof connection.createChannel !== 'function' ||
      typeof connection.on !== 'function'
    ) {
      read.fail('connection', 'an amqplib connection (what `connect()` resolves to)', connection)
    }
    const watched = watch(connection)
    const check = oneAtATime((signal) => probe(watched, signal), {
      busy: 'previous health channel still unanswered',
    })
    return { ...base, check, close: async () => watched.unwatch() }
  }
  if ('url' in target) {
    const { url, socketOptions } = target
    if (typeof url !== 'string' || url === '') read.fail('url', 'a non-empty string', url)
    const own = dedicatedConnection(url, { timeout: CONNECT_TIMEOUT_MS, ...socketOptions }, probe)
    return { ...base, check: own.check, close: own.close }
  }
  return read.fail('target', TARGET, target)
}

function names(read: ReturnType<typeof optionReader>, option: string, value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    return read.fail(option, 'an array of non-empty strings', value)
  }
  return [...value]
}

/** Follows the connection's flow-control and close events (listeners removed by `unwatch`). */
function watch(model: ChannelModel): Watched {
  const watched: Watched = { model, blockedReason: undefined, closed: false, unwatch: noop }
  const onBlocked = (reason: string): void => {
    watched.blockedReason = typeof reason === 'string' && reason !== '' ? reason : 'no reason given'
  }
  const onUnblocked = (): void => {
    watched.blockedReason = undefined
  }
  const onClose = (): void => {
    watched.closed = true
  }
  model.on('blocked', onBlocked)
  model.on('unblocked', onUnblocked)
  model.on('close', onClose)
  watched.unwatch = () => {
    model.removeListener('blocked', onBlocked)
    model.removeListener('unblocked', onUnblocked)
    model.removeListener('close', onClose)
  }
  return watched
}

async function openChannel(
  connection: Watched,
  queues: readonly string[],
  exchanges: readonly string[],
  blocked: 'warn' | 'fail',
  signal: AbortSignal,
): Promise<CheckOutcome> {
  if (connection.closed) throw new Error('connection closed')
  const started = performance.now()
  let channel: Channel
  try {
    channel = await connection.model.createChannel()
  } catch (error) {
    throw describeFailure('cannot open a channel', error)
  }
  // A passive check of a missing queue closes the channel with an error event: never unhandled.
  channel.on('error', noop)
  try {
    for (const queue of queues) {
      if (signal.aborted) break
      await channel.checkQueue(queue).catch((error: unknown) => {
        throw describeFailure(`queue "${queue}"`, error)
      })
    }
    for (const exchange of exchanges) {
      if (signal.aborted) break
      await channel.checkExchange(exchange).catch((error: unknown) => {
        throw describeFailure(`exchange "${exchange}"`, error)
      })
    }
  } finally {
    // Already closed by the broker after a failed passive check; closing again only rejects.
    await channel.close().catch(noop)
  }
  const outcome: CheckOutcome = { observedValue: round(performance.now() - started), observedUnit: 'ms' }
  if (connection.blockedReason !== undefined) {
    const output = `connection blocked by the broker: ${sanitizeOutput(connection.blockedReason)}`
    if (blocked === 'fail') throw new Error(output)
    outcome.status = 'warn'
    outcome.output = output
  }
  return outcome
}

type Connect = (url: string, socketOptions?: unknown) => Promise<ChannelModel>

/** Loads the `amqplib` peer dependency only when the check has to open its own connection. */
const loadConnect = peerExport<Connect>('amqplib', 'connect', () => import('amqplib'))

/** Cuts a connection off at once: a graceful close waits for a broker that may never answer. */
function destroy(model: ChannelModel): void {
  model.on('error', noop)
  model.close().catch(noop)
  // With an error: amqplib tears a connection down (its heartbeat timers, its channels) on the socket's
  // 'error' or 'end' only. A plain destroy() leaves both heartbeat intervals running, referenced, forever.
  const stream = (model.connection as unknown as { stream?: { destroy?: (error?: Error) => void } }).stream
  stream?.destroy?.(new Error('connection cut off by the health check'))
}

/** The `{ url }` target: one connection of the check's own, opened lazily and replaced on failure. */
function dedicatedConnection(
  url: string,
  socketOptions: Record<string, unknown>,
  probe: (connection: Watched, signal: AbortSignal) => Promise<CheckOutcome>,
): OwnConnection {
  // Loads the driver now rather than within the first run's deadline.
  loadConnect().catch(noop)
  return ownConnection<Watched>({
    open: async () => {
      const connect = await loadConnect()
      const model = await connect(url, socketOptions)
      // An idle connection that dies must not crash the process; the next run notices and reconnects.
      model.on('error', noop)
      return watch(model)
    },
    onLost: (connection, lost) => connection.model.on('close', lost),
    destroy: (connection) => {
      connection.unwatch()
      destroy(connection.model)
    },
    end: (connection) => {
      connection.unwatch()
      return connection.model.close()
    },
    probe,
    // A missing queue or exchange closes the channel it was asked on, not the connection.
    keepAfterFailure: (connection) => !connection.closed,
  })
}
