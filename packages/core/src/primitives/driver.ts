// What the dependency checks over a driver (pg, redis, mysql, amqp, nats, mqtt, the query check) share: the
// error a run rejects with once its deadline passed, a safe description of a driver's failure, at most one
// probe in flight, and a peer dependency loaded on first use.
import { sanitizeOutput } from '../sanitize.js'
import type { CheckOutcome } from '../types.js'
import { untilAborted } from './deadline.js'

/** The error a run rejects with once its deadline passed; the runner reports its own timeout message. */
export function checkAbortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('health check aborted')
}

const described = new WeakSet<Error>()

/**
 * A clear and safe check failure: `<context>: <the driver's message>`, credentials and connection strings
 * removed, followed by the driver's error code (`(ECONNREFUSED)`, `(ER_ACCESS_DENIED_ERROR)`) when the message
 * does not say it. The runner's timeout and an error described already are returned as they are.
 */
export function describeFailure(context: string, error: unknown): Error {
  if (error instanceof Error && (error.name === 'CheckTimeoutError' || described.has(error))) return error
  const text = sanitizeOutput(error) || 'unknown error'
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  const suffix =
    typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) && !text.includes(code) ? ` (${code})` : ''
  const failure = new Error(`${context}: ${text}${suffix}`, { cause: error })
  described.add(failure)
  return failure
}

/** A run after `close()`: said as it is, never wrapped by {@link describeFailure}. */
function checkClosed(): Error {
  const error = new Error('check closed')
  described.add(error)
  return error
}

/** Options of {@link oneAtATime}. */
export interface OneAtATimeOptions {
  /** What is still outstanding, for the failure of a run that finds it so: `previous health ping unanswered`. */
  busy: string
  /** Turns a failure of the work into the check's error. Default: as it is. */
  describe?: (error: unknown) => Error
}

/**
 * A check function running `work` at most once at a time. A run abandoned at its deadline leaves its work to
 * settle (a borrowed connection or client is not the check's to cut), and until it does, later runs fail at
 * once (`<busy> after <n> ms`) instead of stacking more requests on a dependency that stopped answering.
 */
export function oneAtATime(
  work: (signal: AbortSignal) => Promise<CheckOutcome>,
  options: OneAtATimeOptions,
): (signal: AbortSignal) => Promise<CheckOutcome> {
  const { busy, describe } = options
  let outstandingSince: number | undefined
  return async (signal: AbortSignal): Promise<CheckOutcome> => {
    if (signal.aborted) throw checkAbortError(signal)
    if (outstandingSince !== undefined) {
      const waited = Math.round(performance.now() - outstandingSince)
      throw new Error(`${busy} after ${waited} ms`)
    }
    const started = performance.now()
    outstandingSince = started
    const running = work(signal)
    const clear = (): void => {
      if (outstandingSince === started) outstandingSince = undefined
    }
    running.then(clear, clear)
    try {
      return await untilAborted(running, signal)
    } catch (error) {
      if (signal.aborted) throw checkAbortError(signal)
      throw describe ? describe(error) : error
    }
  }
}

/**
 * Loads a function a peer dependency exports on first use, once (a failed load is tried again next time): the driver
 * packages import their driver only when a check opens a connection of its own.
 *
 * ```ts
 * const loadConnect = peerExport<Connect>('amqplib', 'connect', () => import('amqplib'))
 * ```
 */
export function peerExport<T>(peer: string, name: string, load: () => Promise<unknown>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () => {
    loaded ??= load().then(
      (module) => {
        const driver = module as Record<string, unknown> & { default?: Record<string, unknown> }
        const value = driver[name] ?? driver.default?.[name]
        if (typeof value !== 'function')
          throw new Error(`the \`${peer}\` package does not export \`${name}\``)
        return value as T
      },
      (error: unknown) => {
        loaded = undefined
        throw error
      },
    )
    return loaded
  }
}

/** What {@link ownConnection} needs to know of a driver. */
export interface OwnConnectionOptions<C> {
  /** Opens a connection and resolves once it is usable; bound its own time (a connect timeout). */
  open(): Promise<C>
  /** Calls `lost` once the connection is gone for good (closed by the server, a network error). */
  onLost(connection: C, lost: () => void): void
  /** Cuts the connection off at once, without waiting for a server that may never answer. */
  destroy(connection: C): void
  /** Ends the connection politely; `close()` cuts it off if that takes more than a second. */
  end(connection: C): Promise<unknown>
  /** A run's work on the connection. */
  probe(connection: C, signal: AbortSignal): Promise<CheckOutcome>
  /** Whether the connection is still good after `probe` failed (a missing queue, say). Default: it is not. */
  keepAfterFailure?(connection: C, error: unknown): boolean
}

/** A check over a connection of its own, and the `close()` that ends it. */
export interface OwnConnection {
  /** The check function: a run on the connection (opened first if there is none), bound by `signal`. */
  check: (signal: AbortSignal) => Promise<CheckOutcome>
  /** Ends the connection (cut off after a second if the server does not answer); later runs fail. */
  close: () => Promise<void>
}

/**
 * A check with one connection of its own (a target given as a URL): opened on the first run, reused,
 * replaced after a failure. One attempt to connect at a time: an attempt a run gave up on at its deadline is
 * joined by the next run, and a connection it opens late is kept. At a run's deadline its connection is cut
 * off, so nothing of that run stays in flight. `close()` ends the connection, politely if the server answers.
 */
export function ownConnection<C>(options: OwnConnectionOptions<C>): OwnConnection {
  const { open, onLost, destroy, end, probe, keepAfterFailure } = options
  let current: C | undefined
  let connecting: Promise<C> | undefined
  let closed = false

  const discard = (connection: C): void => {
    if (current === connection) current = undefined
    destroy(connection)
  }

  const connect = async (): Promise<C> => {
    const connection = await open()
    if (closed) {
      destroy(connection)
      throw checkClosed()
    }
    current = connection
    onLost(connection, () => discard(connection))
    return connection
  }

  const check = async (signal: AbortSignal): Promise<CheckOutcome> => {
    if (closed) throw checkClosed()
    let connection = current
    if (connection === undefined) {
      connecting ??= connect().finally(() => {
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
      return await untilAborted(probe(active, signal), signal)
    } catch (error) {
      if (signal.aborted || !keepAfterFailure?.(active, error)) discard(active)
      throw signal.aborted ? checkAbortError(signal) : error
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  const close = async (): Promise<void> => {
    closed = true
    const connection = current
    current = undefined
    if (connection === undefined) return
    const timer = setTimeout(() => destroy(connection), 1000)
    try {
      await end(connection)
    } catch {
      // Already gone.
    } finally {
      clearTimeout(timer)
    }
  }

  return { check, close }
}
