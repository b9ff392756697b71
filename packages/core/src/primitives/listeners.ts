/** Receives what a listener threw (or the rejection of the promise it returned). */
export type ErrorHandler = (error: unknown) => void

/**
 * Reports a listener error without depending on Node: `process.emitWarning` where there is one,
 * `console.warn` elsewhere (browsers, Deno, Bun, workers).
 */
export const defaultOnError: ErrorHandler = (error) => {
  const message = `healthgate listener error: ${error instanceof Error ? error.message : String(error)}`
  const proc = (globalThis as { process?: { emitWarning?: (message: string) => void } }).process
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message)
  else console.warn(message)
}

/**
 * A typed set of listeners with the one error policy of every healthgate emitter: a listener that
 * throws (or returns a promise that rejects) never breaks the emitter nor the listeners after it; its
 * error goes to `onError`. An `onError` that throws is ignored, so nothing escapes `emit()`.
 */
export class Listeners<T> {
  readonly #set = new Set<(event: T) => unknown>()
  readonly #onError: ErrorHandler

  constructor(onError: ErrorHandler = defaultOnError) {
    this.#onError = onError
  }

  /** Adds a listener; returns a disposer that removes it (calling it twice is harmless). */
  add(listener: (event: T) => unknown): () => void {
    if (typeof listener !== 'function') {
      throw new TypeError(`Expected a listener function, got ${typeof listener}`)
    }
    // A wrapper, so that adding the same function twice gives two independent subscriptions.
    const entry = (event: T) => listener(event)
    this.#set.add(entry)
    return () => {
      this.#set.delete(entry)
    }
  }

  get size(): number {
    return this.#set.size
  }

  /** Calls every listener with `event`; a listener that throws or rejects goes to `onError` and the others still run. */
  emit(event: T): void {
    for (const listener of this.#set) {
      try {
        const returned = listener(event)
        if (isThenable(returned)) returned.then(undefined, (error: unknown) => this.#report(error))
      } catch (error) {
        this.#report(error)
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#set.clear()
  }

  #report(error: unknown): void {
    try {
      this.#onError(error)
    } catch {
      // The error callback itself failed: there is nobody left to tell.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
  )
}
