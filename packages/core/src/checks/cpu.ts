import { cpus, loadavg, platform } from 'node:os'
import { availableParallelism } from '../platform.js'
import { optionReader } from '../primitives/options.js'
import type { CheckDefinition, CheckOutcome, Measurement } from '../types.js'
import { DEFAULT_CGROUP_ROOT, readCgroupCpuLimit } from './cgroup.js'
import {
  type BuiltinCheckOptions,
  baseDefinition,
  COMMON_KEYS,
  checkName,
  formatPercent,
  formatSpan,
  percent,
  positiveThreshold,
  round,
  TumblingWindow,
} from './common.js'

export interface CpuCheckOptions extends BuiltinCheckOptions {
  /** Default: `'cpu'`. */
  name?: string
  /**
   * Fail when this process's CPU time over the window exceeds this share of `cores` (user + system time
   * of all its threads / (elapsed time × `cores`)). 1 means every available core was busy with this
   * process; one saturated JavaScript thread on 4 cores is 0.25. `false` turns it off. Default: 0.9.
   */
  maxProcessCpu?: number | false
  /**
   * Fail when the host's 1-minute load average divided by its number of CPUs exceeds this; `false`
   * turns it off. Not available on Windows (never fails there). Default: 2.
   */
  maxLoadPerCore?: number | false
  /** Length of the window process CPU is measured over, in ms. Default: 10000. */
  windowMs?: number
  /**
   * Cores available to this process, the denominator of the process CPU share. Default: the container's
   * cgroup CPU quota (e.g. 1.5) when it is below `os.availableParallelism()`, else that.
   */
  cores?: number
  /** Where the cgroup file system is mounted. Default: `'/sys/fs/cgroup'`. */
  cgroupRoot?: string
  /** Default: `false`: a busy CPU warns instead of taking every instance out at once. */
  critical?: boolean
}

const KEYS = ['name', ...COMMON_KEYS, 'maxProcessCpu', 'maxLoadPerCore', 'windowMs', 'cores', 'cgroupRoot']

/**
 * Process CPU share over the recent window and the host's load average per CPU. Non-critical by
 * default. Primary measurement `utilization` (process CPU, percent of `cores`); further measurement
 * `loadPerCore` (except on Windows).
 */
export function cpuCheck(options: CpuCheckOptions = {}): CheckDefinition {
  const read = optionReader('cpuCheck')
  const opts = read.object(options, KEYS)
  const name = checkName(read, opts.name, 'cpu')
  const maxProcessCpu = positiveThreshold(read, 'maxProcessCpu', opts.maxProcessCpu, 0.9)
  const maxLoadPerCore = positiveThreshold(read, 'maxLoadPerCore', opts.maxLoadPerCore, 2)
  const windowMs = read.positiveNumber('windowMs', opts.windowMs, 10_000)
  const cgroupRoot = read.nonEmptyString('cgroupRoot', opts.cgroupRoot) ?? DEFAULT_CGROUP_ROOT
  let cores: number
  if (opts.cores === undefined) {
    const quota = readCgroupCpuLimit(cgroupRoot)
    cores = Math.min(availableParallelism(), quota ?? Number.POSITIVE_INFINITY)
  } else {
    cores = read.positiveNumber('cores', opts.cores)
  }
  // The load average counts runnable tasks on the whole host, so it is divided by the host's CPUs.
  const hostCpus = cpus().length || availableParallelism()
  const hasLoadAverage = platform() !== 'win32'
  const base = baseDefinition(read, name, opts, {
    critical: false,
    componentType: 'system',
    measurement: 'utilization',
  })

  let usageMark: NodeJS.CpuUsage | undefined
  let timeMark = 0
  const window = new TumblingWindow<number>(windowMs, {
    start() {
      usageMark = process.cpuUsage()
      timeMark = performance.now()
    },
    measure() {
      const usage = process.cpuUsage(usageMark)
      const elapsedMs = performance.now() - timeMark
      return elapsedMs > 0 ? (usage.user + usage.system) / 1000 / (elapsedMs * cores) : 0
    },
    reset() {
      usageMark = process.cpuUsage()
      timeMark = performance.now()
    },
    stop() {
      usageMark = undefined
    },
  })
  // Marks cost nothing and hold no resources, so the first window starts now rather than at the first run.
  window.begin()

  const check = async (signal: AbortSignal): Promise<CheckOutcome> => {
    const { stats: share, spanMs } = await window.read(signal)
    const loadPerCore = hasLoadAverage ? (loadavg()[0] ?? 0) / hostCpus : undefined
    const parts = [
      `process CPU ${formatPercent(share)} of ${round(cores)} ${cores === 1 ? 'core' : 'cores'} over the last ${formatSpan(spanMs)}`,
    ]
    if (loadPerCore !== undefined) parts.push(`load per CPU ${round(loadPerCore)}`)
    const summary = parts.join(', ')
    const problems: string[] = []
    if (maxProcessCpu !== false && share > maxProcessCpu) {
      problems.push(`process CPU ${formatPercent(share)} is above \`maxProcessCpu\` ${maxProcessCpu}`)
    }
    if (maxLoadPerCore !== false && loadPerCore !== undefined && loadPerCore > maxLoadPerCore) {
      problems.push(`load per CPU ${round(loadPerCore)} is above \`maxLoadPerCore\` ${maxLoadPerCore}`)
    }
    if (problems.length > 0) throw new Error(`cpu ${problems.join('; ')} (${summary})`)
    const measurements: Record<string, Measurement> = {}
    if (loadPerCore !== undefined) measurements.loadPerCore = { observedValue: round(loadPerCore) }
    return { output: summary, observedValue: percent(share), observedUnit: 'percent', measurements }
  }

  return { ...base, check, close: () => window.stop() }
}
