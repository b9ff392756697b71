// Runtime-neutral like monitor.ts: fetch, AbortController and timers only.
import { raceDeadline, type StatusMatcher, untilAborted } from '@healthgate/core/primitives'

/** The method a health URL is polled with. */
export type ProbeMethod = 'HEAD' | 'GET'

/** The part of a fetch `Response` a probe reads. */
export interface FetchResponseLike {
  status: number
  type?: string
  body?: {
    /** Discards the body unread, so that the connection is freed. */
    cancel(reason?: unknown): Promise<void>
  } | null
}

/** The part of `fetch` a probe calls; the global `fetch` of every modern runtime fits. */
export type FetchLike = (
  url: string,
  init: { method: ProbeMethod; signal: AbortSignal; redirect: 'manual'; cache: 'no-store' },
) => Promise<FetchResponseLike>

/** Options of one health probe. */
export interface ProbeOptions {
  method: ProbeMethod
  timeoutMs: number
  accepts: StatusMatcher
  fetch: FetchLike
  /** Aborting it cancels the probe: `probeHealth` then rejects with the signal's reason instead of reporting a failure. */
  signal?: AbortSignal
}

/** The outcome of one health probe. */
export interface ProbeResult {
  ok: boolean
  /** HTTP status; absent when no response arrived (or a browser hid a redirect). */
  status?: number
  /** Why the probe failed, e.g. `'HTTP 503 (expected 200-399)'`, `'timed out after 2000 ms'`. */
  error?: string
  durationMs: number
  /** The method that produced the answer: `'GET'` after a server answered 405 or 501 to `HEAD`. */
  method: ProbeMethod
}

/** A probe that got no answer within its timeout. */
export class ProbeTimeoutError extends Error {
  override name = 'ProbeTimeoutError'
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`)
  }
}

/** Whether `error` is a {@link ProbeTimeoutError}; compares the name too, so a second copy of the package still matches. */
export const isProbeTimeoutError = (error: unknown): error is ProbeTimeoutError =>
  error instanceof Error && error.name === 'ProbeTimeoutError'

// Without following redirects, browsers hand back an opaque response with status 0.
const REDIRECT_CODES = [301, 302, 303, 307, 308]

/**
 * One health request: `HEAD` (retried as `GET` on 405/501) or `GET`, redirects not followed, aborted after
 * `timeoutMs`, body cancelled so the socket is freed. Never rejects for an unhealthy or unreachable
 * server: only when `signal` aborts.
 */
export async function probeHealth(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const { timeoutMs, accepts, signal } = options
  const started = Date.now()
  let method = options.method
  const race = raceDeadline(
    async (deadline) => {
      let response = await request(url, method, options.fetch, deadline)
      if (method === 'HEAD' && (response.status === 405 || response.status === 501)) {
        await discard(response)
        method = 'GET'
        response = await request(url, method, options.fetch, deadline)
      }
      await discard(response)
      return response
    },
    timeoutMs,
    { signal, timeoutReason: () => new ProbeTimeoutError(timeoutMs), unref: true },
  )
  const outcome = await race.settled
  const durationMs = Date.now() - started
  switch (outcome.kind) {
    case 'aborted':
      throw outcome.reason
    case 'timeout':
      return { ok: false, error: describeError(new ProbeTimeoutError(timeoutMs)), durationMs, method }
    case 'error':
      return { ok: false, error: describeError(outcome.error), durationMs, method }
  }
  const response = outcome.value
  if (response.type === 'opaqueredirect') {
    const ok = REDIRECT_CODES.some((code) => accepts(code))
    return { ok, durationMs, method, ...(ok ? {} : { error: `redirect (expected ${accepts.source})` }) }
  }
  const ok = accepts(response.status)
  const error = ok ? {} : { error: `HTTP ${response.status} (expected ${accepts.source})` }
  return { ok, status: response.status, durationMs, method, ...error }
}

async function request(url: string, method: ProbeMethod, fetchImpl: FetchLike, signal: AbortSignal) {
  const pending = Promise.resolve(fetchImpl(url, { method, signal, redirect: 'manual', cache: 'no-store' }))
  try {
    // Raced too: a custom fetch that ignores the signal must not outlive the deadline.
    return await untilAborted(pending, signal)
  } catch (error) {
    pending.then(discard, () => {})
    throw error
  }
}

async function discard(response: FetchResponseLike) {
  // Cancelling the body frees the socket without downloading a body nobody reads.
  try {
    await response.body?.cancel()
  } catch {
    // Already consumed or errored: nothing left to free.
  }
}

export function describeError(error: unknown): string {
  // Duck-typed: errors from another realm (a fetch polyfill, a test VM) fail `instanceof Error`.
  if (typeof error !== 'object' || error === null || !('message' in error)) return String(error)
  const message = String(error.message)
  const cause: unknown = 'cause' in error ? error.cause : undefined
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
      ? cause.code
      : undefined
  if (code) return message.includes(code) ? message : `${message} (${code})`
  // fetch wraps what went wrong ("bad port", a TLS error) in a generic "fetch failed".
  const detail =
    typeof cause === 'object' && cause !== null && 'message' in cause && typeof cause.message === 'string'
      ? cause.message
      : undefined
  return detail && !message.includes(detail) ? `${message} (${detail})` : message
}
