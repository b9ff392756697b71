// What the dependency checks over a driver (pg, redis, mysql, amqp, nats, mqtt, the query check) share: the
// error a run rejects with once its deadline passed, a safe description of a driver's failure, at most one
// probe in flight, and a peer dependency loaded on first use.
import { sanitizeOutput } from '../sanitize.js'
import type { CheckDefinition, CheckOutcome } from '../types.js'
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
): CheckDefinition['check'] {
  const { busy, describe } = options
  let outstandingSince: number | undefined
  return async (signal) => {
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
