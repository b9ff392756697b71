import {
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks'
import { optionReader } from '../primitives/options.js'
import type { CheckDefinition, CheckOutcome } from '../types.js'
import {
  type BuiltinCheckOptions,
  baseDefinition,
  COMMON_KEYS,
  checkName,
  formatPercent,
  formatSpan,
  percent,
  positiveThreshold,
  ratioThreshold,
  round,
  TumblingWindow,
} from './common.js'

export interface EventLoopCheckOptions extends BuiltinCheckOptions {
  /** Default: `'eventLoop'`. */
  name?: string
  /** Fail when the 99th percentile of the event-loop delay exceeds this many ms; `false` turns it off. Default: 200. */
  maxDelayP99Ms?: number | false
  /**
   * Fail when the event loop was busy for more than this share of the window (event-loop utilization,
   * 0 to 1); `false` turns it off. Default: 0.9.
   */
  maxUtilization?: number | false
  /** Length of the window the delay and utilization are measured over, in ms. Default: 10000. */
  windowMs?: number
  /** Default: `false`: a busy event loop warns instead of taking every instance out at once. */
  critical?: boolean
}

const KEYS = ['name', ...COMMON_KEYS, 'maxDelayP99Ms', 'maxUtilization', 'windowMs']

/** Sampling interval of the delay monitor in ms; Node's default. The monitor's timer does not keep the process alive. */
const RESOLUTION_MS = 10

interface LoopStats {
  delayP99Ms: number
  delayMaxMs: number
  utilization: number
}

/**
 * Event-loop delay (p99 and max) and utilization over the recent window. The delay monitor starts with
 * the first run and stops with `close()`. Non-critical by default. Primary measurement `delayP99` (ms);
 * further measurements `delayMax` (ms) and `utilization` (percent).
 */
export function eventLoopCheck(options: EventLoopCheckOptions = {}): CheckDefinition {
  const read = optionReader('eventLoopCheck')
  const opts = read.object(options, KEYS)
  const name = checkName(read, opts.name, 'eventLoop')
  const maxDelay = positiveThreshold(read, 'maxDelayP99Ms', opts.maxDelayP99Ms, 200)
  const maxUtilization = ratioThreshold(read, 'maxUtilization', opts.maxUtilization, 0.9)
  const windowMs = read.positiveNumber('windowMs', opts.windowMs, 10_000)
  const base = baseDefinition(read, name, opts, {
    critical: false,
    componentType: 'system',
    measurement: 'delayP99',
  })

  let histogram: IntervalHistogram | undefined
  let mark: EventLoopUtilization | undefined
  const window = new TumblingWindow<LoopStats>(windowMs, {
    start() {
      histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
      histogram.enable()
      mark = performance.eventLoopUtilization()
    },
    measure(spanMs) {
      const utilization = performance.eventLoopUtilization(mark).utilization
      // The monitor records the time between its timer's runs; the delay is what exceeds the interval.
      // No sample over a whole span means the loop never got to run the timer: it was blocked throughout.
      if (histogram === undefined || histogram.count === 0) {
        const blocked = Math.max(0, spanMs - 2 * RESOLUTION_MS)
        return { delayP99Ms: blocked, delayMaxMs: blocked, utilization }
      }
      return {
        delayP99Ms: Math.max(0, histogram.percentile(99) / 1e6 - RESOLUTION_MS),
        delayMaxMs: Math.max(0, histogram.max / 1e6 - RESOLUTION_MS),
        utilization,
      }
    },
    reset() {
      histogram?.reset()
      mark = performance.eventLoopUtilization()
    },
    stop() {
      histogram?.disable()
      histogram = undefined
      mark = undefined
    },
  })

  const check = async (signal: AbortSignal): Promise<CheckOutcome> => {
    const { stats, spanMs } = await window.read(signal)
    const summary = `p99 delay ${round(stats.delayP99Ms, 1)} ms, max ${round(stats.delayMaxMs, 1)} ms, utilization ${formatPercent(stats.utilization)} over the last ${formatSpan(spanMs)}`
    const problems: string[] = []
    if (maxDelay !== false && stats.delayP99Ms > maxDelay) {
      problems.push(`p99 delay ${round(stats.delayP99Ms, 1)} ms is above \`maxDelayP99Ms\` ${maxDelay} ms`)
    }
    if (maxUtilization !== false && stats.utilization > maxUtilization) {
      problems.push(
        `utilization ${formatPercent(stats.utilization)} is above \`maxUtilization\` ${maxUtilization}`,
      )
    }
    if (problems.length > 0) throw new Error(`event loop ${problems.join('; ')} (${summary})`)
    return {
      output: summary,
      observedValue: round(stats.delayP99Ms),
      observedUnit: 'ms',
      measurements: {
        delayMax: { observedValue: round(stats.delayMaxMs), observedUnit: 'ms' },
        utilization: { observedValue: percent(stats.utilization), observedUnit: 'percent' },
      },
    }
  }

  return { ...base, check, close: () => window.stop() }
}
