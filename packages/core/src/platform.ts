import { cpus, freemem, availableParallelism as osParallelism } from 'node:os'

// Feature-detected platform helpers. Node 20 to 26 have every native API used here; the fallbacks keep
// the core working where one is missing (other runtimes, trimmed builds) and are tested as such: each
// helper takes the native function as a parameter, `null` meaning "not available".

type AnyFn = (signals: AbortSignal[]) => AbortSignal

/**
 * A signal aborted as soon as any of `signals` is, with that signal's reason: `AbortSignal.any` where it
 * exists, else a controller wired to every input (listeners removed once it fires).
 */
export function anySignal(
  signals: readonly AbortSignal[],
  native: AnyFn | null = (AbortSignal as { any?: AnyFn }).any?.bind(AbortSignal) ?? null,
): AbortSignal {
  if (native) return native([...signals])
  const controller = new AbortController()
  const already = signals.find((signal) => signal.aborted)
  if (already) {
    controller.abort(already.reason)
    return controller.signal
  }
  const listeners = signals.map((signal) => () => {
    controller.abort(signal.reason)
    // Long-lived inputs (a server's shutdown signal) must not keep one listener per combined signal.
    signals.forEach((other, index) => {
      other.removeEventListener('abort', listeners[index]!)
    })
  })
  signals.forEach((signal, index) => {
    signal.addEventListener('abort', listeners[index]!, { once: true })
  })
  return controller.signal
}

const nativeAvailableMemory = (process as { availableMemory?: () => number }).availableMemory

/**
 * Memory still available to this process in bytes, counting a container's limit:
 * `process.availableMemory()` where it exists, else the host's free memory.
 */
export function availableMemory(
  native: (() => number) | null = nativeAvailableMemory ? () => nativeAvailableMemory.call(process) : null,
): number {
  return native ? native() : freemem()
}

/**
 * How many threads may usefully run in parallel: `os.availableParallelism()` where it exists (it honours
 * CPU affinity), else the number of CPUs, at least 1.
 */
export function availableParallelism(native: (() => number) | null = osParallelism ?? null): number {
  return native ? native() : Math.max(1, cpus().length)
}
