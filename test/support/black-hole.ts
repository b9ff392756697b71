import { type CheckDefinition, createHealth } from '@healthgate/core'
import type { FaultProxy } from './fault-proxy.js'

export interface BlackHoleProbe {
  /** Slowest evaluation, ms. */
  slowestMs: number
  /** Evaluations made. */
  evaluations: number
  /** Statuses seen, in order, deduplicated. */
  statuses: string[]
  /** New connections the proxy accepted while probing. */
  connections: number
}

/**
 * Evaluates a health holding `definition` every `everyMs` for `durationMs` while `proxy` black-holes the
 * server, the way a load balancer (or several) keeps probing: bounds the answer time of each evaluation and
 * counts the connection attempts the check makes meanwhile.
 */
export async function probeBlackHole(
  definition: CheckDefinition,
  proxy: FaultProxy,
  options: { timeoutMs: number; cacheTtlMs: number; durationMs?: number; everyMs?: number },
): Promise<BlackHoleProbe> {
  const { timeoutMs, cacheTtlMs, durationMs = 3000, everyMs = 50 } = options
  // The caller closes the check itself: this health only drives it.
  const { close: _close, ...borrowed } = definition
  const health = createHealth({ checks: [{ ...borrowed, timeoutMs, cacheTtlMs }] })
  proxy.setMode('blackhole')
  const before = proxy.stats.connections
  const result: BlackHoleProbe = { slowestMs: 0, evaluations: 0, statuses: [], connections: 0 }
  const until = performance.now() + durationMs
  try {
    while (performance.now() < until) {
      const started = performance.now()
      const report = await health.evaluate()
      result.slowestMs = Math.max(result.slowestMs, performance.now() - started)
      result.evaluations += 1
      if (result.statuses.at(-1) !== report.status) result.statuses.push(report.status)
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
  } finally {
    await health.close()
  }
  result.connections = proxy.stats.connections - before
  return result
}
