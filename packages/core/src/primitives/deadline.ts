// Runtime-neutral: timers, AbortController and promises only (the failover browser entry uses these).

type Timer = ReturnType<typeof setTimeout>

/** Lets the process exit while the timer is pending, where the runtime has that notion (Node, Bun, Deno). */
export function unref<T>(timer: T): T {
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}

/** The signal's reason, or a plain `Error('aborted')` for runtimes that leave it undefined. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted')
}

/** Options of {@link sleep}. */
export interface SleepOptions {
  signal?: AbortSignal | undefined
  /** Let the process exit while sleeping. Default: false. */
  unref?: boolean
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. Leaves no timer or listener behind. */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  const { signal } = options
  if (signal?.aborted) return Promise.reject(abortReason(signal))
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortReason(signal as AbortSignal))
    }
    const timer: Timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    if (options.unref) unref(timer)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Settles like `work`, or rejects with the signal's reason as soon as `signal` aborts: for drivers that
 * cannot be cancelled, whose promise may settle long after the caller gave up. Leaves no listener behind,
 * and a late rejection of `work` never surfaces as unhandled.
 */
export function untilAborted<T>(work: PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  const running = Promise.resolve(work)
  running.catch(() => {})
  if (!signal) return running
  if (signal.aborted) return Promise.reject(abortReason(signal))
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  return Promise.race([running, aborted]).finally(() => {
    if (onAbort) signal.removeEventListener('abort', onAbort)
  })
}

/** How a piece of work raced against its deadline ended. */
export type Settled<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'aborted'; reason: unknown }

/** Options of {@link raceDeadline}. */
export interface DeadlineOptions {
  /** Aborts the work early; the race then settles `aborted` with the signal's reason. */
  signal?: AbortSignal | undefined
  /** The abort reason handed to the work when the deadline passes. Default: an `Error` saying so. */
  timeoutReason?: () => unknown
  /** Let the process exit while the deadline is pending. Default: false. */
  unref?: boolean
}

/** What {@link raceDeadline} returns: the race's outcome and the work itself. */
export interface DeadlineRace<T> {
  /** Settles at the first of: the work settling, the deadline, the signal aborting. Never rejects. */
  settled: Promise<Settled<T>>
  /** The work itself, which may outlive the deadline (a driver that ignores its signal). Never rejects unobserved. */
  work: Promise<T>
}

/**
 * Starts `work` with an `AbortSignal` and races it against a hard deadline of `ms`: the signal aborts at the
 * deadline (cooperative cancellation) and the race settles then, even if the work ignores its signal
 * (aggressive cancellation). A synchronous throw counts as a rejection. Timer and listeners are cleared
 * as soon as the race settles.
 */
export function raceDeadline<T>(
  work: (signal: AbortSignal) => PromiseLike<T> | T,
  ms: number,
  options: DeadlineOptions = {},
): DeadlineRace<T> {
  const controller = new AbortController()
  const outer = options.signal
  const running = (async () => work(controller.signal))()
  // The caller may drop `work` after the race; its rejection must never surface as unhandled.
  running.catch(() => {})
  if (outer?.aborted) {
    controller.abort(abortReason(outer))
    return { settled: Promise.resolve({ kind: 'aborted', reason: abortReason(outer) }), work: running }
  }
  let timer: Timer | undefined
  let onAbort: (() => void) | undefined
  const settled = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(
        options.timeoutReason ? options.timeoutReason() : new Error(`timed out after ${ms} ms`),
      )
      resolve({ kind: 'timeout' })
    }, ms)
    if (options.unref) unref(timer)
    if (outer) {
      onAbort = () => {
        const reason = abortReason(outer)
        controller.abort(reason)
        resolve({ kind: 'aborted', reason })
      }
      outer.addEventListener('abort', onAbort, { once: true })
    }
    running.then(
      (value) => resolve({ kind: 'ok', value }),
      (error: unknown) => resolve({ kind: 'error', error }),
    )
  }).finally(() => {
    clearTimeout(timer)
    if (onAbort) outer?.removeEventListener('abort', onAbort)
  })
  return { settled, work: running }
}

/**
 * `raceDeadline` as a plain promise: resolves with the work's value, rejects with its error, with the
 * timeout reason at the deadline, or with the signal's reason when it aborts first.
 */
export async function withDeadline<T>(
  work: (signal: AbortSignal) => PromiseLike<T> | T,
  ms: number,
  options: DeadlineOptions = {},
): Promise<T> {
  let reason: unknown
  const timeoutReason = () => {
    reason = options.timeoutReason ? options.timeoutReason() : new Error(`timed out after ${ms} ms`)
    return reason
  }
  const outcome = await raceDeadline(work, ms, { ...options, timeoutReason }).settled
  switch (outcome.kind) {
    case 'ok':
      return outcome.value
    case 'error':
      throw outcome.error
    case 'timeout':
      throw reason
    case 'aborted':
      throw outcome.reason
  }
}

/** Options of {@link pollUntil}. */
export interface PollOptions<T> {
  /** Give up after this many ms. */
  timeoutMs: number
  /** Pause between two polls, in ms. */
  intervalMs: number
  /** Stops polling early (resolves, never rejects). */
  signal?: AbortSignal | undefined
  /** Called with each polled value, e.g. to show progress. */
  onPoll?: (value: T, elapsedMs: number) => void
  /** Let the process exit while waiting between polls. Default: false. */
  unref?: boolean
}

/** What {@link pollUntil} resolves to. */
export interface PollResult<T> {
  /** The last value polled. */
  value: T
  /** Whether `until(value)` held. */
  done: boolean
  elapsedMs: number
  /** Stopped by the signal. */
  aborted: boolean
}

/**
 * Calls `poll` until `until(value)` holds, `timeoutMs` passed or `signal` aborted, pausing `intervalMs`
 * between calls (never past the deadline). Resolves with the last value in every case; rejects only when
 * `poll` throws.
 */
export async function pollUntil<T>(
  poll: () => T | Promise<T>,
  until: (value: T) => boolean,
  options: PollOptions<T>,
): Promise<PollResult<T>> {
  const { timeoutMs, intervalMs, signal } = options
  const started = performance.now()
  const elapsed = () => performance.now() - started
  for (;;) {
    const value = await poll()
    const elapsedMs = elapsed()
    options.onPoll?.(value, elapsedMs)
    const done = until(value)
    const aborted = signal?.aborted ?? false
    if (done || aborted || elapsedMs >= timeoutMs) {
      return { value, done, elapsedMs: Math.round(elapsedMs), aborted }
    }
    await sleep(Math.max(1, Math.min(intervalMs, timeoutMs - elapsedMs)), {
      signal,
      unref: options.unref ?? false,
    }).catch(() => {})
  }
}
