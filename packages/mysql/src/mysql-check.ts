import type { CheckDefinition, CheckOptions, CheckOutcome, Measurement } from '@healthgate/core'
import { CHECK_OPTION_KEYS, optionReader, readCheckName, readCheckOptions } from '@healthgate/core/primitives'
import type { Connection, ConnectionOptions, Pool } from 'mysql2'
import type { Connection as PromiseConnection, Pool as PromisePool } from 'mysql2/promise'
import {
  abortError,
  type CoreConnection,
  type CorePool,
  coreConnection,
  corePool,
  describeFailure,
  destroy,
  noop,
  ping,
  until,
} from './driver.js'
import { dedicatedConnection } from './own-connection.js'

/**
 * What the check talks to (the callback or the promise API of mysql2):
 * - `{ pool }`: borrows one connection of your pool per run; never closes the pool.
 * - `{ connection }`: pings your connection; never closes it.
 * - `{ uri }`: the check opens one connection of its own, lazily, reuses it, replaces it after a failure,
 *   and ends it in `close()`.
 */
export type MysqlTarget =
  | { pool: Pool | PromisePool }
  | { connection: Connection | PromiseConnection }
  | { uri: string; config?: Omit<ConnectionOptions, 'uri'> }

/** What a saturated pool (every connection checked out, none idle) reports. */
export type MysqlSaturation = 'warn' | 'fail' | 'ignore'

/** Options of {@link mysqlCheck}: the common check options plus the MySQL ones. */
export interface MysqlCheckOptions extends CheckOptions {
  /** Check name. Default: `'mysql'`. */
  name?: string
  /**
   * With a `{ pool }` target whose connections are all checked out by the application: `'warn'` reports
   * `warn` with the pool numbers and `'fail'` fails, both without queueing behind the application;
   * `'ignore'` waits for a connection like any other caller (bounded by the deadline). Default: `'warn'`.
   */
  saturation?: MysqlSaturation
}

/** A check definition whose `close()` ends the connection the check owns (if it owns one). */
export interface MysqlCheckDefinition extends CheckDefinition {
  close: () => Promise<void>
}

interface PoolNumbers {
  total: number
  idle: number
  waiting: number
  max: number
}

const SATURATIONS: readonly MysqlSaturation[] = ['warn', 'fail', 'ignore']
const KEYS = ['name', 'saturation', ...CHECK_OPTION_KEYS]
const TARGET = '`{ pool }`, `{ connection }` or `{ uri }`'
const round = (ms: number): number => Math.round(ms * 100) / 100

/** Creates a MySQL / MariaDB check (mysql2). See {@link MysqlTarget} for what it borrows or owns. */
export function mysqlCheck(target: MysqlTarget, options: MysqlCheckOptions = {}): MysqlCheckDefinition {
  const read = optionReader('mysqlCheck')
  if (target === null || typeof target !== 'object') read.fail('target', TARGET, target)
  const opts = read.object(options, KEYS)
  const name = readCheckName(read, opts.name, 'mysql')
  const saturation = read.oneOf('saturation', opts.saturation, SATURATIONS, 'warn')
  const base = { name, ...readCheckOptions(read, opts, { critical: true, componentType: 'datastore' }) }

  if ('pool' in target) {
    const pool = corePool(target.pool) ?? read.fail('pool', 'a mysql2 Pool', target.pool)
    return { ...base, check: (signal) => checkPool(pool, saturation, signal), close: async () => {} }
  }
  if ('connection' in target) {
    const connection =
      coreConnection(target.connection) ?? read.fail('connection', 'a mysql2 Connection', target.connection)
    return { ...base, check: singlePing(connection), close: async () => {} }
  }
  if ('uri' in target) {
    const { uri, config } = target
    if (typeof uri !== 'string' || uri === '') read.fail('uri', 'a non-empty string', uri)
    const own = dedicatedConnection({ ...config, uri })
    return { ...base, check: own.check, close: own.close }
  }
  return read.fail('target', TARGET, target)
}

function poolNumbers(pool: CorePool): PoolNumbers {
  return {
    total: pool._allConnections.length,
    idle: pool._freeConnections.length,
    waiting: pool._connectionQueue.length,
    max: pool.config.connectionLimit,
  }
}

const connectionsMeasurement = (numbers: PoolNumbers): Measurement => ({ observedValue: { ...numbers } })

async function checkPool(
  pool: CorePool,
  saturation: MysqlSaturation,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  const before = poolNumbers(pool)
  if (saturation !== 'ignore' && before.max > 0 && before.idle === 0 && before.total >= before.max) {
    // A busy instance is not a dead one: queueing behind the application would only measure its load.
    const output =
      `pool saturated: ${before.total} of ${before.max} connections in use by the application, ` +
      `${before.idle} idle, ${before.waiting} waiting; not queueing a health ping behind them`
    if (saturation === 'fail') throw new Error(output)
    return { status: 'warn', output, measurements: { connections: connectionsMeasurement(before) } }
  }
  const connection = await acquire(pool, signal)
  const started = performance.now()
  // While checked out, a socket error must not crash the process; the pool forgets a broken connection itself.
  connection.on('error', noop)
  let broken = false
  try {
    await until(ping(connection), signal, () => {
      broken = true
      // Destroyed, not released: a hung connection must not go back to the application.
      destroy(connection)
    })
  } catch (error) {
    if (!broken) {
      broken = true
      destroy(connection)
    }
    throw describeFailure('ping failed', error)
  } finally {
    if (!broken) {
      connection.removeListener('error', noop)
      connection.release?.()
    }
  }
  return {
    observedValue: round(performance.now() - started),
    observedUnit: 'ms',
    measurements: { connections: connectionsMeasurement(poolNumbers(pool)) },
  }
}

function connectionsOf(pool: CorePool): CoreConnection[] {
  const all: CoreConnection[] = []
  for (let i = 0; i < pool._allConnections.length; i++) all.push(pool._allConnections.get(i))
  return all
}

/** Checks out a connection; at the deadline, destroys a connection still being opened for this run. */
function acquire(pool: CorePool, signal: AbortSignal): Promise<CoreConnection> {
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<CoreConnection>((resolve, reject) => {
    const known = new Set(connectionsOf(pool))
    let done = false
    let opening: CoreConnection | undefined
    const onAbort = (): void => {
      if (done) return
      done = true
      // A black-holed server would otherwise keep this pool slot in "connecting" until connectTimeout.
      if (opening) destroy(opening)
      reject(describeFailure('cannot connect', abortError(signal)))
    }
    pool.getConnection((error, connection) => {
      signal.removeEventListener('abort', onAbort)
      if (done) {
        // Arrived after the deadline (it was queued): hand it straight back, unused and healthy.
        if (!error) connection.release?.()
        return
      }
      done = true
      if (error) reject(describeFailure('cannot connect', error))
      else resolve(connection)
    })
    opening = connectionsOf(pool).find((connection) => !known.has(connection))
    if (!done) signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * A check on the application's own connection. It is never destroyed (it is not ours): a ping still
 * unanswered at the deadline is left to finish, and until it does, runs fail at once instead of
 * queueing more pings on the connection.
 */
function singlePing(connection: CoreConnection): CheckDefinition['check'] {
  let outstandingSince: number | undefined
  return async (signal) => {
    if (outstandingSince !== undefined) {
      const waited = Math.round(performance.now() - outstandingSince)
      throw new Error(`previous health ping still unanswered after ${waited} ms`)
    }
    const started = performance.now()
    const running = ping(connection)
    outstandingSince = started
    const clear = (): void => {
      if (outstandingSince === started) outstandingSince = undefined
    }
    running.then(clear, clear)
    try {
      await until(running, signal, noop)
    } catch (error) {
      throw describeFailure('ping failed', error)
    }
    return { observedValue: round(performance.now() - started), observedUnit: 'ms' }
  }
}
