import type { CheckDefinition, CheckOptions, CheckOutcome } from '@healthgate/core'
import {
  CHECK_OPTION_KEYS,
  checkAbortError,
  describeFailure,
  oneAtATime,
  optionReader,
  peerExport,
  readCheckName,
  readCheckOptions,
  untilAborted,
} from '@healthgate/core/primitives'
import type { ConnectionOptions, NatsConnection } from 'nats'

/**
 * What the check talks to:
 * - `{ connection }`: your connected `NatsConnection`; the check never closes or drains it.
 * - `{ servers }`: the check opens one connection of its own, lazily (without reconnecting by itself),
 *   reuses it, replaces it after a failure, and closes it in `close()`.
 */
export type NatsTarget =
  | { connection: NatsConnection }
  | { servers: string | string[]; connectionOptions?: Omit<ConnectionOptions, 'servers'> }

/** Options of {@link natsCheck}: the common check options plus the NATS ones. */
export interface NatsCheckOptions extends CheckOptions {
  /** Check name. Default: `'nats'`. */
  name?: string
  /**
   * Also require JetStream: the account info request must be answered within the deadline; its stream and
   * consumer counts are reported as the `jetstream` measurement. Default: `false`.
   */
  jetstream?: boolean
}

/** A check definition whose `close()` closes the connection the check owns (if it owns one). */
export interface NatsCheckDefinition extends CheckDefinition {
  close: () => Promise<void>
}

const KEYS = ['name', 'jetstream', ...CHECK_OPTION_KEYS]
const TARGET = '`{ connection }` or `{ servers }`'
const noop = (): void => {}
// Bounds a connection attempt of the check's own that its run gave up on; runs meanwhile fail at once.
const CONNECT_TIMEOUT_MS = 2000
// Bounds the JetStream request after the run's deadline; runs meanwhile fail at once.
const JETSTREAM_TIMEOUT_MS = 2000

/** Creates a NATS check: a round trip (`PING`/`PONG`) within the deadline, optionally a JetStream account check. */
export function natsCheck(target: NatsTarget, options: NatsCheckOptions = {}): NatsCheckDefinition {
  const read = optionReader('natsCheck')
  if (target === null || typeof target !== 'object') read.fail('target', TARGET, target)
  const opts = read.object(options, KEYS)
  const name = readCheckName(read, opts.name, 'nats')
  const jetstream = read.boolean('jetstream', opts.jetstream, false)
  const base = { name, ...readCheckOptions(read, opts, { critical: true, componentType: 'component' }) }

  if ('connection' in target) {
    const { connection } = target
    if (!connection || typeof connection.rtt !== 'function' || typeof connection.isClosed !== 'function') {
      read.fail('connection', 'a NatsConnection', connection)
    }
    const probe = oneAtATime((signal) => roundTrip(connection, jetstream, signal), {
      busy: 'previous health round trip still unanswered',
      describe: (error) => describeFailure('round trip failed', error),
    })
    return { ...base, check: probe, close: async () => {} }
  }
  if ('servers' in target) {
    const { servers, connectionOptions } = target
    const list = Array.isArray(servers) ? servers : [servers]
    if (list.length === 0 || list.some((server) => typeof server !== 'string' || server === '')) {
      read.fail('servers', 'a server URL or a non-empty array of them', servers)
    }
    const own = dedicatedConnection(
      { timeout: CONNECT_TIMEOUT_MS, ...connectionOptions, servers: list },
      jetstream,
    )
    return { ...base, check: own.check, close: own.close }
  }
  return read.fail('target', TARGET, target)
}

async function roundTrip(
  connection: NatsConnection,
  jetstream: boolean,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  if (connection.isClosed()) throw new Error('connection closed')
  // A round trip in flight when the connection closes for good is never answered nor rejected by the client.
  const rttMs = await Promise.race([connection.rtt(), lost(connection)])
  const outcome: CheckOutcome = { observedValue: rttMs, observedUnit: 'ms' }
  if (!jetstream || signal.aborted) return outcome
  const manager = await connection.jetstreamManager({ checkAPI: false, timeout: JETSTREAM_TIMEOUT_MS })
  let account: { streams: number; consumers: number }
  try {
    account = await manager.getAccountInfo()
  } catch (error) {
    throw describeFailure('jetstream', error)
  }
  outcome.measurements = {
    jetstream: { observedValue: { streams: account.streams, consumers: account.consumers } },
  }
  return outcome
}

/** Rejects when the connection closes (with the error that closed it, if any). */
function lost(connection: NatsConnection): Promise<never> {
  const closing = connection.closed().then((error) => {
    throw error ?? new Error('connection closed')
  })
  closing.catch(noop)
  return closing
}

type Connect = (options: ConnectionOptions) => Promise<NatsConnection>

/** Loads the `nats` peer dependency only when the check has to open its own connection. */
const loadConnect = peerExport<Connect>('nats', 'connect', () => import('nats'))

/** Cuts a connection off without waiting for a server that may never answer. */
function destroy(connection: NatsConnection): void {
  connection.close().catch(noop)
  // The socket itself: `close()` flushes first, which a black-holed server never acknowledges.
  const socket = (
    connection as unknown as { protocol?: { transport?: { socket?: { destroy?: () => void } } } }
  ).protocol?.transport?.socket
  socket?.destroy?.()
}

/** The `{ servers }` target: one connection of the check's own, opened lazily and replaced on failure. */
function dedicatedConnection(
  options: ConnectionOptions,
  jetstream: boolean,
): { check: CheckDefinition['check']; close: () => Promise<void> } {
  let current: NatsConnection | undefined
  let connecting: Promise<NatsConnection> | undefined
  let closed = false
  // Loads the driver now rather than within the first run's deadline.
  loadConnect().catch(noop)

  const discard = (connection: NatsConnection): void => {
    if (current === connection) current = undefined
    destroy(connection)
  }

  const open = async (): Promise<NatsConnection> => {
    const connect = await loadConnect()
    // No reconnecting of its own: a lost connection fails the check, and the next run connects anew.
    const connection = await connect({ ...options, reconnect: false })
    if (closed) {
      destroy(connection)
      throw new Error('check closed')
    }
    current = connection
    connection.closed().then(
      () => discard(connection),
      () => discard(connection),
    )
    return connection
  }

  const run = async (signal: AbortSignal): Promise<CheckOutcome> => {
    let connection = current
    if (!connection) {
      // One attempt at a time: an attempt a run gave up on at its deadline is joined by the next run, and a
      // connection it opens late is kept.
      connecting ??= open().finally(() => {
        connecting = undefined
      })
      try {
        connection = await untilAborted(connecting, signal)
      } catch (error) {
        throw signal.aborted ? checkAbortError(signal) : describeFailure('cannot connect', error)
      }
    }
    const active = connection
    const onAbort = (): void => discard(active)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      // Settles at the deadline: the connection is cut off then, so nothing of this run stays in flight.
      return await untilAborted(roundTrip(active, jetstream, signal), signal)
    } catch (error) {
      discard(active)
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  const probe = oneAtATime(run, {
    busy: 'previous health round trip still unanswered',
    describe: (error) => describeFailure('round trip failed', error),
  })
  const check: CheckDefinition['check'] = async (signal) => {
    if (closed) throw new Error('check closed')
    return probe(signal)
  }

  const close = async (): Promise<void> => {
    closed = true
    const connection = current
    current = undefined
    if (!connection) return
    // A graceful goodbye when the server answers; a hung one is cut off.
    const timer = setTimeout(() => destroy(connection), 1000)
    try {
      await connection.close()
    } catch {
      // Already gone.
    } finally {
      clearTimeout(timer)
    }
  }

  return { check, close }
}
