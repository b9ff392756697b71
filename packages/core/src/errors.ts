/** A check run passed its deadline. The runner reports it as `fail` and aborts the check's signal with it. */
export class CheckTimeoutError extends Error {
  override name = 'CheckTimeoutError'
  readonly timeoutMs: number
  constructor(timeoutMs: number, options?: ErrorOptions) {
    super(`timed out after ${timeoutMs} ms`, options)
    this.timeoutMs = timeoutMs
  }
}

/** A previous run of a check passed its deadline and has not settled yet; no new run is started. */
export class CheckStillRunningError extends Error {
  override name = 'CheckStillRunningError'
}

// Guards that don't rely on `instanceof` alone: two copies of this package break it.
/** Whether `error` is a {@link CheckTimeoutError}; compares the name too, so a second copy of the package still matches. */
export const isCheckTimeoutError = (error: unknown): error is CheckTimeoutError =>
  error instanceof Error && error.name === 'CheckTimeoutError'

/** Whether `error` is a {@link CheckStillRunningError}; compares the name too, so a second copy of the package still matches. */
export const isCheckStillRunningError = (error: unknown): error is CheckStillRunningError =>
  error instanceof Error && error.name === 'CheckStillRunningError'
