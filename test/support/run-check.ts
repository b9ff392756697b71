import { type CheckDefinition, CheckTimeoutError } from '@healthgate/core'

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

/** The error message of a failed run, '' for a passing one. */
export const failureMessage = (result: Settled): string => (result.ok ? '' : result.error.message)
