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
function dedicatedConnection(options: ConnectionOptions, jetstream: boolean): OwnConnection {
  // Loads the driver now rather than within the first run's deadline.
  loadConnect().catch(noop)
  const own = ownConnection<NatsConnection>({
    open: async () => {
      const connect = await loadConnect()
      // No reconnecting of its own: a lost connection fails the check, and the next run connects anew.
      return connect({ ...options, reconnect: false })
    },
    onLost: (connection, lost) => {
      connection.closed().then(lost, lost)
    },
    destroy,
    // A graceful goodbye when the server answers; a hung one is cut off.
    end: (connection) => connection.close(),
    probe: (connection, signal) => roundTrip(connection, jetstream, signal),
  })
  const check = oneAtATime(own.check, {
    busy: 'previous health round trip still unanswered',
    describe: (error) => describeFailure('round trip failed', error),
  })
  return { check, close: own.close }
}
