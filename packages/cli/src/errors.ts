/** Exit codes of every command. */
export const EXIT = {
  /** Healthy / done. */
  ok: 0,
  /** Unhealthy, rejected, timed out, unreachable. */
  failure: 1,
  /** Bad command line or environment: nothing was attempted. */
  usage: 2,
  /** Stopped by SIGINT/SIGTERM before it finished (128 + SIGINT). */
  interrupted: 130,
} as const

/** A bad command line or environment: exit 2, with a pointer to the command's help. */
export class UsageError extends Error {
  override name = 'UsageError'
  constructor(
    message: string,
    /** The command whose `--help` to point at; the top level when absent. */
    readonly command?: string,
  ) {
    super(message)
  }
}

/** The command ran and failed: exit 1. */
export class CommandError extends Error {
  override name = 'CommandError'
}

/** Interrupted by a signal: exit 130. */
export class InterruptedError extends Error {
  override name = 'InterruptedError'
  constructor() {
    super('interrupted')
  }
}

/** Whether `error` is a {@link UsageError}; compares the name too, so a second copy of the package still matches. */
export const isUsageError = (error: unknown): error is UsageError =>
  error instanceof Error && error.name === 'UsageError'
/** Whether `error` is a {@link CommandError}; compares the name too, so a second copy of the package still matches. */
export const isCommandError = (error: unknown): error is CommandError =>
  error instanceof Error && error.name === 'CommandError'
/** Whether `error` is an {@link InterruptedError}; compares the name too, so a second copy of the package still matches. */
export const isInterruptedError = (error: unknown): error is InterruptedError =>
  error instanceof Error && error.name === 'InterruptedError'
