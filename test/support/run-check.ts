import { type CheckDefinition, CheckTimeoutError } from '@healthgate/core'

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export type Settled = { ok: true; value: unknown; ms: number } | { ok: false; error: Error; ms: number }

/** Runs a check the way the core runner does: the signal aborts with a CheckTimeoutError at the deadline. */
export async function runCheck(definition: CheckDefinition, timeoutMs = 1000): Promise<Settled> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new CheckTimeoutError(timeoutMs)), timeoutMs)
  const started = performance.now()
  try {
    const value = await definition.check(controller.signal)
    return { ok: true, value, ms: performance.now() - started }
  } catch (error) {
    return { ok: false, error: error as Error, ms: performance.now() - started }
  } finally {
    clearTimeout(timer)
  }
}

/** Polls `condition` every 5 ms; resolves with the ms it took, rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now()
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(5)
  }
  return performance.now() - started
}
