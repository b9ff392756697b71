import { pollUntil, sleep } from '@healthgate/core/primitives'

export { sleep }

/**
 * Polls `condition` every `intervalMs` until it holds; resolves with the ms it took, rejects after
 * `timeoutMs`. Default: 5000 ms, every 5 ms.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<number> {
  const polled = await pollUntil(condition, (met) => met, { timeoutMs, intervalMs })
  if (!polled.done) throw new Error(`condition not met within ${timeoutMs} ms`)
  return polled.elapsedMs
}
