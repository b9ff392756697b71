import { getHeapStatistics } from 'node:v8'
import { optionReader } from '../primitives/options.js'
import type { CheckDefinition, CheckOutcome, Measurement, Status } from '../types.js'
import { DEFAULT_CGROUP_ROOT, readCgroupMemoryLimit } from './cgroup.js'
import {
  type BuiltinCheckOptions,
  baseDefinition,
  COMMON_KEYS,
  checkName,
  formatBytes,
  formatPercent,
  percent,
  ratioThreshold,
  warnNotAboveFail,
} from './common.js'

export interface MemoryCheckOptions extends BuiltinCheckOptions {
  /** Default: `'memory'`. */
  name?: string
  /** Warn when the V8 heap in use exceeds this share of the heap limit; `false` turns it off. Default: 0.9 (or `heapFailRatio` if lower). */
  heapWarnRatio?: number | false
  /** Fail when the V8 heap in use exceeds this share of the heap limit. Default: `false` (never). */
  heapFailRatio?: number | false
  /** Warn when the resident set size exceeds this share of the memory limit; `false` turns it off. Default: 0.9 (or `rssFailRatio` if lower). */
  rssWarnRatio?: number | false
  /** Fail when the resident set size exceeds this share of the memory limit. Default: `false` (never). */
  rssFailRatio?: number | false
  /**
   * The memory limit the resident set size is compared with, in bytes. Default: the container's cgroup
   * memory limit, read once when the check is created; without one, RSS is reported but not judged.
   */
  rssLimitBytes?: number
  /** Where the cgroup file system is mounted. Default: `'/sys/fs/cgroup'`. */
  cgroupRoot?: string
  /** Default: `false`: memory pressure warns instead of taking every instance out at once. */
  critical?: boolean
}

const KEYS = [
  'name',
  ...COMMON_KEYS,
  'heapWarnRatio',
  'heapFailRatio',
  'rssWarnRatio',
  'rssFailRatio',
  'rssLimitBytes',
  'cgroupRoot',
]

interface Part {
  label: string
  ratio: number
  used: number
  limit: number
  warn: number | false
  fail: number | false
  warnName: string
  failName: string
}

const belowFail = (warn: number, fail: number | false): number =>
  fail === false ? warn : Math.min(warn, fail)

function levelOf(part: Part): Status {
  if (part.fail !== false && part.ratio >= part.fail) return 'fail'
  if (part.warn !== false && part.ratio >= part.warn) return 'warn'
  return 'pass'
}

function describePart(part: Part, level: Status): string {
  const text = `${part.label} ${formatBytes(part.used)} of ${formatBytes(part.limit)} (${formatPercent(part.ratio)})`
  if (level === 'pass') return text
  const [name, threshold] = level === 'fail' ? [part.failName, part.fail] : [part.warnName, part.warn]
  return `${text} is above \`${name}\` ${threshold}`
}

/**
 * Heap in use against the V8 heap limit, and resident memory against the container's memory limit.
 * Non-critical by default. Primary measurement `heapUtilization` (percent); further measurements
 * `heapUsed`, `heapLimit`, `rss` (bytes) and, when a memory limit is known, `rssLimit` and `rssUtilization`.
 */
export function memoryCheck(options: MemoryCheckOptions = {}): CheckDefinition {
  const read = optionReader('memoryCheck')
  const opts = read.object(options, KEYS)
  const name = checkName(read, opts.name, 'memory')
  const heapFail = ratioThreshold(read, 'heapFailRatio', opts.heapFailRatio, false)
  const rssFail = ratioThreshold(read, 'rssFailRatio', opts.rssFailRatio, false)
  // The default warning never sits above an explicit failure threshold: that would be an error in the
  // caller's options, not in the defaults.
  const heapWarn = ratioThreshold(read, 'heapWarnRatio', opts.heapWarnRatio, belowFail(0.9, heapFail))
  const rssWarn = ratioThreshold(read, 'rssWarnRatio', opts.rssWarnRatio, belowFail(0.9, rssFail))
  warnNotAboveFail(read, 'heapWarnRatio', heapWarn, 'heapFailRatio', heapFail)
  warnNotAboveFail(read, 'rssWarnRatio', rssWarn, 'rssFailRatio', rssFail)
  const cgroupRoot = read.nonEmptyString('cgroupRoot', opts.cgroupRoot) ?? DEFAULT_CGROUP_ROOT
  const rssLimit =
    opts.rssLimitBytes === undefined
      ? readCgroupMemoryLimit(cgroupRoot)
      : read.positiveNumber('rssLimitBytes', opts.rssLimitBytes)
  const base = baseDefinition(read, name, opts, {
    critical: false,
    componentType: 'system',
    measurement: 'heapUtilization',
  })

  const check = (): CheckOutcome => {
    const heap = getHeapStatistics()
    const rss = process.memoryUsage.rss()
    const heapPart: Part = {
      label: 'heap',
      ratio: heap.used_heap_size / heap.heap_size_limit,
      used: heap.used_heap_size,
      limit: heap.heap_size_limit,
      warn: heapWarn,
      fail: heapFail,
      warnName: 'heapWarnRatio',
      failName: 'heapFailRatio',
    }
    const rssPart: Part | undefined =
      rssLimit === undefined
        ? undefined
        : {
            label: 'rss',
            ratio: rss / rssLimit,
            used: rss,
            limit: rssLimit,
            warn: rssWarn,
            fail: rssFail,
            warnName: 'rssWarnRatio',
            failName: 'rssFailRatio',
          }
    const heapLevel = levelOf(heapPart)
    const rssLevel = rssPart === undefined ? 'pass' : levelOf(rssPart)
    const output = [
      describePart(heapPart, heapLevel),
      rssPart === undefined
        ? `rss ${formatBytes(rss)} (no memory limit known)`
        : describePart(rssPart, rssLevel),
    ].join('; ')
    if (heapLevel === 'fail' || rssLevel === 'fail') throw new Error(`memory ${output}`)

    const measurements: Record<string, Measurement> = {
      heapUsed: { observedValue: heap.used_heap_size, observedUnit: 'bytes' },
      heapLimit: { observedValue: heap.heap_size_limit, observedUnit: 'bytes' },
      rss: { observedValue: rss, observedUnit: 'bytes' },
    }
    if (rssPart !== undefined) {
      measurements.rssLimit = { observedValue: rssPart.limit, observedUnit: 'bytes' }
      measurements.rssUtilization = {
        observedValue: percent(rssPart.ratio),
        observedUnit: 'percent',
        status: rssLevel,
      }
    }
    return {
      status: heapLevel === 'warn' || rssLevel === 'warn' ? 'warn' : 'pass',
      output,
      observedValue: percent(heapPart.ratio),
      observedUnit: 'percent',
      measurements,
    }
  }

  return { ...base, check }
}
