import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join } from 'node:path'

/** Where cgroup v2 mounts its unified hierarchy, and v1 its controllers, inside a container. */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup'

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return undefined
  }
}

/**
 * The memory limit of this container in bytes, or `undefined` when there is none. Reads cgroup v2
 * `memory.max` ("max": no limit), else cgroup v1 `memory/memory.limit_in_bytes`. Values no process could
 * reach (v1 reports "unlimited" as ~2^63; anything above the host's memory) count as no limit.
 */
export function readCgroupMemoryLimit(root = DEFAULT_CGROUP_ROOT): number | undefined {
  const v2 = readText(join(root, 'memory.max'))
  const text = v2 ?? readText(join(root, 'memory', 'memory.limit_in_bytes'))
  if (text === undefined || !/^\d+$/.test(text)) return undefined
  const limit = Number(text)
  if (!(limit > 0) || limit > Number.MAX_SAFE_INTEGER || limit > totalmem()) return undefined
  return limit
}

/**
 * The CPU quota of this container in cores (e.g. `1.5`), or `undefined` when there is none. Reads
 * cgroup v2 `cpu.max` ("<quota> <period>", quota "max": no limit), else cgroup v1
 * `cpu/cpu.cfs_quota_us` (-1: no limit) and `cpu/cpu.cfs_period_us`.
 */
export function readCgroupCpuLimit(root = DEFAULT_CGROUP_ROOT): number | undefined {
  const v2 = readText(join(root, 'cpu.max'))
  let quota: string | undefined
  let period: string | undefined
  if (v2 !== undefined) {
    ;[quota, period] = v2.split(/\s+/)
  } else {
    quota = readText(join(root, 'cpu', 'cpu.cfs_quota_us'))
    period = readText(join(root, 'cpu', 'cpu.cfs_period_us'))
  }
  if (quota === undefined || period === undefined || !/^\d+$/.test(quota) || !/^\d+$/.test(period))
    return undefined
  const cores = Number(quota) / Number(period)
  return cores > 0 && Number.isFinite(cores) ? cores : undefined
}
