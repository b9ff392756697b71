import type { CheckDefinition, CheckOptions, CheckOutcome, Measurement } from '@healthgate/core'
import {
  CHECK_OPTION_KEYS,
  checkAbortError,
  optionReader,
  peerExport,
  untilAborted as raceAbort,
  readCheckName,
  readCheckOptions,
  sanitizeOutput,
} from '@healthgate/core/primitives'
import type { Client, ClientConfig, Pool, PoolClient } from 'pg'

/**
 * What the check talks to.
 * - `{ pool }`: borrows one connection of your `pg.Pool` per run; never closes the pool.
 * - `{ client }`: queries your connected `pg.Client`; never closes it.
 * - `{ connectionString }`: the check opens one dedicated connection of its own, lazily, reuses it, replaces
 *   it after a failure, and ends it in `close()`.
 */
export type PgTarget =
  | { pool: Pool }
  | { client: Client }
  | { connectionString: string; clientConfig?: Omit<ClientConfig, 'connectionString'> }

/** What a saturated pool (every connection checked out, none idle) reports. */
export type PgSaturation = 'warn' | 'fail' | 'ignore'

/** Options of {@link pgCheck}. */
export interface PgCheckOptions extends CheckOptions {
  /** Check name. Default: `'postgres'`. */
  name?: string
  /** The query that proves the server answers. Default: `'SELECT 1'`. */
  query?: string
  /**
   * With a `{ pool }` target whose connections are all checked out by the application: `'warn'` reports
   * `warn` with the pool numbers and `'fail'` fails, both without queueing a query behind the application;
   * `'ignore'` waits for a connection like any other caller (bounded by the deadline). Default: `'warn'`.
   */
  saturation?: PgSaturation
}

/** A check definition whose `close()` ends the connection the check owns (if it owns one). */
export interface PgCheckDefinition extends CheckDefinition {
  close: () => Promise<void>
}

interface PoolNumbers {
  total: number
  idle: number
  waiting: number
  max: number
}

const SATURATIONS: readonly PgSaturation[] = ['warn', 'fail', 'ignore']
const KEYS = ['name', 'query', 'saturation', ...CHECK_OPTION_KEYS]
const TARGET = '`{ pool }`, `{ client }` or `{ connectionString }`'
const noop = (): void => {}
const round = (ms: number): number => Math.round(ms * 100) / 100

/** Creates a PostgreSQL check. See {@link PgTarget} for what it borrows or owns. */
export function pgCheck(target: PgTarget, options: PgCheckOptions = {}): PgCheckDefinition {
  const read = optionReader('pgCheck')
  if (target === null || typeof target !== 'object') read.fail('target', TARGET, target)
  const opts = read.object(options, KEYS)
  const name = readCheckName(read, opts.name, 'postgres')
  const query = opts.query ?? 'SELECT 1'
  if (typeof query !== 'string' || query.trim() === '') {
    return read.fail('query', 'a non-empty string', query)
  }
  const saturation = read.oneOf('saturation', opts.saturation, SATURATIONS, 'warn')
  const base = { name, ...readCheckOptions(read, opts, { critical: true, componentType: 'datastore' }) }

  if ('pool' in target) {
    const { pool } = target
    if (!pool || typeof pool.connect !== 'function' || typeof pool.totalCount !== 'number') {
      read.fail('pool', 'a pg Pool', pool)
    }
    return { ...base, check: (signal) => checkPool(pool, query, saturation, signal), close: async () => {} }
  }
  if ('client' in target) {
    const { client } = target
    if (!client || typeof client.query !== 'function') read.fail('client', 'a pg Client', client)
    const run = singleQuery(client, query)
    return { ...base, check: run, close: async () => {} }
  }
  if ('connectionString' in target) {
    const { connectionString, clientConfig } = target
    if (typeof connectionString !== 'string' || connectionString === '') {
      read.fail('connectionString', 'a non-empty string', connectionString)
    }
    const own = dedicatedConnection({ ...clientConfig, connectionString }, query)
    return { ...base, check: own.check, close: own.close }
  }
  return read.fail('target', TARGET, target)
}

function poolNumbers(pool: Pool): PoolNumbers {
  // pg-pool fills in `max` (10) when the application left it out.
  const max = typeof pool.options?.max === 'number' ? pool.options.max : 10
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }
}

function connectionsMeasurement(numbers: PoolNumbers): Measurement {
  return { observedValue: { ...numbers } }
}

function describePool(numbers: PoolNumbers): string {
  return `${numbers.total} of ${numbers.max} connections in use by the application, ${numbers.idle} idle, ${numbers.waiting} waiting`
}

async function checkPool(
  pool: Pool,
  query: string,
  saturation: PgSaturation,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  const before = poolNumbers(pool)
  if (saturation !== 'ignore' && before.idle === 0 && before.total >= before.max) {
    // A busy instance is not a dead one: queueing behind the application would only measure its load.
    const output = `pool saturated: ${describePool(before)}; not queueing a health query behind them`
    if (saturation === 'fail') throw new Error(output)
    return { status: 'warn', output, measurements: { connections: connectionsMeasurement(before) } }
  }
  const client = await acquire(pool, signal)
  const started = performance.now()
  // While checked out, the pool does not listen for this client's errors: a socket error must not crash.
  client.on('error', noop)
  let releaseError: Error | undefined
  try {
    await queryUntil(client, query, signal, () => {
      // Release with an error so the pool destroys the connection now instead of keeping a slot hung.
      releaseError = checkAbortError(signal)
      release(client, releaseError)
    })
  } catch (error) {
    releaseError ??= error instanceof Error ? error : new Error(String(error))
    throw describeFailure('query failed', error)
  } finally {
    release(client, releaseError)
    client.removeListener('error', noop)
  }
  return {
    observedValue: round(performance.now() - started),
    observedUnit: 'ms',
    measurements: { connections: connectionsMeasurement(poolNumbers(pool)) },
  }
}

const released = new WeakSet<PoolClient>()

function release(client: PoolClient, error: Error | undefined): void {
  if (released.has(client)) return
  released.add(client)
  client.release(error)
}

/** pg-pool's list of its clients. Not public API: used only to cancel a connection opened on our behalf. */
function poolClients(pool: Pool): readonly unknown[] | undefined {
  const clients = (pool as unknown as { _clients?: unknown })._clients
  return Array.isArray(clients) ? clients : undefined
}

/** Checks out a client; at the deadline, destroys a connection still being opened for this run. */
function acquire(pool: Pool, signal: AbortSignal): Promise<PoolClient> {
  if (signal.aborted) return Promise.reject(checkAbortError(signal))
  return new Promise<PoolClient>((resolve, reject) => {
    const known = new Set(poolClients(pool) ?? [])
    const pending = pool.connect()
    const opening = poolClients(pool)?.find((client) => !known.has(client)) as Client | undefined
    let done = false
    const onAbort = (): void => {
      if (done) return
      done = true
      // A black-holed server would otherwise keep this pool slot in "connecting" forever.
      opening?.connection?.stream?.destroy()
      reject(describeFailure('cannot connect', checkAbortError(signal)))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    pending.then(
      (client) => {
        signal.removeEventListener('abort', onAbort)
        // pg-pool hands out the same client objects again: this checkout has not been released yet.
        released.delete(client)
        if (done) {
          // Arrived after the deadline (it was queued): hand it straight back, unused and healthy.
          release(client, undefined)
          return
        }
        done = true
        resolve(client)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        if (done) return
        done = true
        reject(describeFailure('cannot connect', error))
      },
    )
  })
}

/** Runs `query` on `client`, settling at once when `signal` aborts; `onAbort` destroys what the query holds. */
function queryUntil(
  client: Pick<Client, 'query'>,
  query: string,
  signal: AbortSignal,
  onAbort: () => void,
): Promise<unknown> {
  if (signal.aborted) return Promise.reject(checkAbortError(signal))
  return untilAborted(client.query(query), signal, onAbort)
}

/**
 * A check on the application's own `pg.Client`. The connection is never destroyed (it is not ours): a query
 * still unanswered at the deadline is left to finish, and until it does, runs fail at once instead of
 * queueing more queries on the connection.
 */
function singleQuery(client: Client, query: string): CheckDefinition['check'] {
  let outstandingSince: number | undefined
  return async (signal) => {
    if (outstandingSince !== undefined) {
      const waited = Math.round(performance.now() - outstandingSince)
      throw new Error(`previous health query still unanswered after ${waited} ms`)
    }
    const started = performance.now()
    const running = client.query(query)
    outstandingSince = started
    const clear = (): void => {
      if (outstandingSince === started) outstandingSince = undefined
    }
    running.then(clear, clear)
    try {
      await untilAborted(running, signal, noop)
    } catch (error) {
      if (signal.aborted) throw checkAbortError(signal)
      throw describeFailure('query failed', error)
    }
    return { observedValue: round(performance.now() - started), observedUnit: 'ms' }
  }
}

type ClientConstructor = new (config: ClientConfig) => Client

/** Loads the `pg` peer dependency only when the check has to open its own connection. */
const loadClient = peerExport<ClientConstructor>('pg', 'Client', () => import('pg'))

function destroy(client: Client): void {
  // `end()` marks the client as ending so that the socket closing is not reported as an error event;
  // destroying the socket does not wait for a server that may never answer.
  client.end().catch(noop)
  client.connection?.stream?.destroy()
}

/** The `{ connectionString }` target: one connection of the check's own, opened lazily and replaced on failure. */
function dedicatedConnection(
  config: ClientConfig,
  query: string,
): { check: CheckDefinition['check']; close: () => Promise<void> } {
  let current: Client | undefined
  let connected = false
  let closed = false

  const discard = (client: Client): void => {
    if (current === client) {
      current = undefined
      connected = false
    }
    destroy(client)
  }

  const check: CheckDefinition['check'] = async (signal) => {
    if (closed) throw new Error('check closed')
    let client = current
    if (!client) {
      const Client = await loadClient()
      client = new Client(config)
      current = client
      const own = client
      // An idle connection that dies must not crash the process; the next run notices and reconnects.
      own.on('error', () => discard(own))
      own.on('end', () => discard(own))
    }
    const active = client
    if (!connected) {
      try {
        await untilAborted(active.connect(), signal, () => discard(active))
        connected = true
      } catch (error) {
        discard(active)
        throw describeFailure('cannot connect', signal.aborted ? checkAbortError(signal) : error)
      }
    }
    const started = performance.now()
    try {
      await queryUntil(active, query, signal, () => discard(active))
    } catch (error) {
      discard(active)
      throw describeFailure('query failed', error)
    }
    return { observedValue: round(performance.now() - started), observedUnit: 'ms' }
  }

  const close = async (): Promise<void> => {
    closed = true
    const client = current
    current = undefined
    if (!client) return
    if (!connected) {
      destroy(client)
      return
    }
    connected = false
    // A graceful goodbye when the server answers; a hung one is cut off.
    const timer = setTimeout(() => client.connection?.stream?.destroy(), 1000)
    try {
      await client.end()
    } catch {
      // Already gone.
    } finally {
      clearTimeout(timer)
    }
  }

  return { check, close }
}

/** Races `work` against `signal`; `onAbort` (called once, at the abort) destroys what the work holds. */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort()
    throw checkAbortError(signal)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await raceAbort(work, signal)
  } catch (error) {
    throw signal.aborted ? checkAbortError(signal) : error
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** The parts of an error worth showing; duck-typed because socket errors may come from another realm. */
interface ErrorFields {
  name?: unknown
  message?: unknown
  code?: unknown
}

/** A clear, safe output: context, the driver's message without credentials, the SQLSTATE when there is one. */
function describeFailure(context: string, error: unknown): Error {
  const fields: ErrorFields = typeof error === 'object' && error !== null ? (error as ErrorFields) : {}
  if (fields.name === 'CheckTimeoutError' && error instanceof Error) return error
  const text =
    typeof fields.message === 'string' && fields.message !== ''
      ? fields.message
      : typeof fields.name === 'string'
        ? fields.name
        : sanitizeOutput(error)
  const { code } = fields
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : ''
  return new Error(`${context}: ${sanitizeOutput(text)}${sqlState}`, { cause: error })
}
