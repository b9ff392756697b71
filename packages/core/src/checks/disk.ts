import { statfs } from 'node:fs/promises'
import { resolve } from 'node:path'
import { optionReader } from '../primitives/options.js'
import type { CheckDefinition, CheckOutcome } from '../types.js'
import {
  type BuiltinCheckOptions,
  baseDefinition,
  COMMON_KEYS,
  checkName,
  formatBytes,
  formatPercent,
  percent,
  ratioThreshold,
} from './common.js'

export interface DiskCheckOptions extends BuiltinCheckOptions {
  /** Default: `'disk'`. */
  name?: string
  /** Any path on the file system to watch, resolved when the check is created. Default: `process.cwd()`. */
  path?: string
  /** Fail when fewer bytes than this are available to the process. Default: none. */
  minFreeBytes?: number
  /** Fail when less than this share of the file system is available; `false` turns it off. Default: 0.05. */
  minFreeRatio?: number | false
  /** Default: `false`: a filling disk warns instead of taking every instance out at once. */
  critical?: boolean
}

const KEYS = ['name', ...COMMON_KEYS, 'path', 'minFreeBytes', 'minFreeRatio']

/**
 * Space left on the file system holding `path`, as available to unprivileged processes. Non-critical by
 * default. Primary measurement `utilization` (percent not available); further measurements `freeBytes`
 * and `totalBytes`.
 */
export function diskCheck(options: DiskCheckOptions = {}): CheckDefinition {
  const read = optionReader('diskCheck')
  const opts = read.object(options, KEYS)
  const name = checkName(read, opts.name, 'disk')
  const path = resolve(read.nonEmptyString('path', opts.path) ?? process.cwd())
  const minFreeBytes = read.optionalPositiveNumber('minFreeBytes', opts.minFreeBytes)
  const minFreeRatio = ratioThreshold(read, 'minFreeRatio', opts.minFreeRatio, 0.05)
  const base = baseDefinition(read, name, opts, {
    critical: false,
    componentType: 'system',
    measurement: 'utilization',
  })

  const check = async (): Promise<CheckOutcome> => {
    let stats: Awaited<ReturnType<typeof statfs>>
    try {
      stats = await statfs(path)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new Error(`cannot read the file system of ${path}: ${code ?? (error as Error).message}`, {
        cause: error,
      })
    }
    const totalBytes = stats.blocks * stats.bsize
    const freeBytes = stats.bavail * stats.bsize
    if (!(totalBytes > 0)) throw new Error(`the file system of ${path} reports no size`)
    const freeRatio = freeBytes / totalBytes
    const summary = `${formatBytes(freeBytes)} free of ${formatBytes(totalBytes)} (${formatPercent(freeRatio)}) at ${path}`
    const problems: string[] = []
    if (minFreeBytes !== undefined && freeBytes < minFreeBytes) {
      problems.push(`free space is below \`minFreeBytes\` ${formatBytes(minFreeBytes)}`)
    }
    if (minFreeRatio !== false && freeRatio < minFreeRatio) {
      problems.push(`free space is below \`minFreeRatio\` ${minFreeRatio}`)
    }
    if (problems.length > 0) throw new Error(`disk ${problems.join('; ')}: ${summary}`)
    return {
      output: summary,
      observedValue: percent(1 - freeRatio),
      observedUnit: 'percent',
      measurements: {
        freeBytes: { observedValue: freeBytes, observedUnit: 'bytes' },
        totalBytes: { observedValue: totalBytes, observedUnit: 'bytes' },
      },
    }
  }

  return { ...base, check }
}
