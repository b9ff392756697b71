import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CheckOutcome } from '../types.js'
import { readCgroupCpuLimit, readCgroupMemoryLimit } from './cgroup.js'
import { memoryCheck } from './memory.js'

const run = async (definition: ReturnType<typeof memoryCheck>) =>
  (await definition.check(new AbortController().signal)) as CheckOutcome

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'healthgate-cgroup-'))
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

/** A fake cgroup mount with the given files, relative to the root. */
function cgroup(files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), `${content}\n`)
  }
  return root
}

describe('memoryCheck', () => {
  it('passes with observations of heap and RSS', async () => {
    const definition = memoryCheck({ rssLimitBytes: Number.MAX_SAFE_INTEGER })
    expect(definition).toMatchObject({
      name: 'memory',
      critical: false,
      componentType: 'system',
      measurement: 'heapUtilization',
    })
    const outcome = await run(definition)
    expect(outcome.status).toBe('pass')
    expect(outcome.observedUnit).toBe('percent')
    expect(outcome.observedValue).toBeGreaterThan(0)
    expect(outcome.observedValue).toBeLessThan(90)
    const m = outcome.measurements ?? {}
    expect(m.heapUsed?.observedValue).toBeGreaterThan(0)
    expect(m.heapLimit?.observedValue).toBeGreaterThan(Number(m.heapUsed?.observedValue))
    expect(m.rss?.observedValue).toBeGreaterThan(0)
    expect(m.rssLimit?.observedValue).toBe(Number.MAX_SAFE_INTEGER)
    expect(m.rssUtilization).toMatchObject({ observedUnit: 'percent', status: 'pass' })
    expect(outcome.output).toMatch(/^heap .* of .* \(.* %\); rss .* of .*$/)
  })

  it('warns when the heap crosses heapWarnRatio', async () => {
    const outcome = await run(memoryCheck({ heapWarnRatio: 0.000001, rssWarnRatio: false }))
    expect(outcome.status).toBe('warn')
    expect(outcome.output).toMatch(/heap .* is above `heapWarnRatio`/)
  })

  it('fails when the heap crosses heapFailRatio, with the default warning lowered to match', async () => {
    const definition = memoryCheck({ heapFailRatio: 0.000001 })
    await expect(run(definition)).rejects.toThrow(/^memory heap .* is above `heapFailRatio` 0\.000001/)
  })

  it('compares RSS with the cgroup v2 memory.max limit', async () => {
    const outcome = await run(memoryCheck({ cgroupRoot: cgroup({ 'memory.max': '1048576' }) }))
    expect(outcome.status).toBe('warn')
    expect(outcome.measurements?.rssLimit?.observedValue).toBe(1_048_576)
    expect(outcome.measurements?.rssUtilization?.status).toBe('warn')
    expect(outcome.output).toMatch(/rss .* of 1\.0 MiB .* is above `rssWarnRatio` 0\.9/)
  })

  it('fails when RSS crosses rssFailRatio of the cgroup v1 limit', async () => {
    const definition = memoryCheck({
      cgroupRoot: cgroup({ 'memory/memory.limit_in_bytes': '2097152' }),
      rssFailRatio: 0.5,
    })
    await expect(run(definition)).rejects.toThrow(/rss .* of 2\.0 MiB .* is above `rssFailRatio` 0\.5/)
  })

  it('reports RSS without judging it when there is no memory limit', async () => {
    const outcome = await run(
      memoryCheck({ cgroupRoot: cgroup({ 'memory.max': 'max' }), rssWarnRatio: 0.000001 }),
    )
    expect(outcome.status).toBe('pass')
    expect(outcome.output).toMatch(/rss .* \(no memory limit known\)$/)
    expect(outcome.measurements?.rss?.observedValue).toBeGreaterThan(0)
    expect(outcome.measurements?.rssUtilization).toBeUndefined()
  })

  it('lets rssLimitBytes override the detected limit', async () => {
    const definition = memoryCheck({ cgroupRoot: cgroup({ 'memory.max': 'max' }), rssLimitBytes: 1024 })
    expect((await run(definition)).status).toBe('warn')
  })

  it('accepts critical and the other common overrides', () => {
    expect(memoryCheck({ name: 'mem', critical: true, tags: ['live'], cacheTtlMs: 5000 })).toMatchObject({
      name: 'mem',
      critical: true,
      tags: ['live'],
      cacheTtlMs: 5000,
    })
  })

  it.each([
    [
      { heapWarnRatio: 0 },
      /`heapWarnRatio` to be a ratio greater than 0 and at most 1, or false, got number 0/,
    ],
    [{ heapFailRatio: 1.5 }, /`heapFailRatio` to be a ratio .* got number 1.5/],
    [{ rssWarnRatio: '0.5' }, /`rssWarnRatio` to be a ratio .* got the string "0.5"/],
    [{ rssFailRatio: Number.NaN }, /`rssFailRatio` to be a ratio .* got number NaN/],
    [
      { heapWarnRatio: 0.9, heapFailRatio: 0.8 },
      /^memoryCheck\(\): expected `heapWarnRatio` to be at most `heapFailRatio` \(0.8\), got number 0.9$/,
    ],
    [{ rssLimitBytes: -1 }, /`rssLimitBytes` to be a positive number, got number -1/],
    [{ cgroupRoot: '' }, /`cgroupRoot` to be a non-empty string/],
    [{ name: 'has space' }, /`name` to be 1-128 letters/],
    [{ critical: 'yes' }, /`critical` to be a boolean/],
    [{ timeoutMs: -1 }, /`timeoutMs` to be a positive number, got number -1/],
    [{ heapWarnRation: 0.5 }, /^memoryCheck\(\): unknown option `heapWarnRation`/],
  ])('rejects bad options %p', (options, message) => {
    expect(() => memoryCheck(options as never)).toThrow(TypeError)
    expect(() => memoryCheck(options as never)).toThrow(message)
  })

  it('rejects options that are not an object', () => {
    expect(() => memoryCheck(null as never)).toThrow(
      /^memoryCheck\(\): expected the options to be an object, got null$/,
    )
  })
})

describe('cgroup limits', () => {
  it('reads the cgroup v2 memory limit and treats "max" as none', () => {
    expect(readCgroupMemoryLimit(cgroup({ 'memory.max': '536870912' }))).toBe(536_870_912)
    writeFileSync(join(root, 'memory.max'), 'max\n')
    expect(readCgroupMemoryLimit(root)).toBeUndefined()
  })

  it('falls back to cgroup v1 and ignores its "unlimited" value', () => {
    expect(readCgroupMemoryLimit(cgroup({ 'memory/memory.limit_in_bytes': '268435456' }))).toBe(268_435_456)
    writeFileSync(join(root, 'memory/memory.limit_in_bytes'), '9223372036854771712\n')
    expect(readCgroupMemoryLimit(root)).toBeUndefined()
  })

  it('ignores limits above the host memory, garbage and missing files', () => {
    expect(readCgroupMemoryLimit(cgroup({ 'memory.max': String(2 ** 52) }))).toBeUndefined()
    writeFileSync(join(root, 'memory.max'), 'garbage\n')
    expect(readCgroupMemoryLimit(root)).toBeUndefined()
    expect(readCgroupMemoryLimit(join(root, 'missing'))).toBeUndefined()
  })

  it('reads CPU quotas from cgroup v2 and v1', () => {
    expect(readCgroupCpuLimit(cgroup({ 'cpu.max': '150000 100000' }))).toBe(1.5)
    writeFileSync(join(root, 'cpu.max'), 'max 100000\n')
    expect(readCgroupCpuLimit(root)).toBeUndefined()
    rmSync(join(root, 'cpu.max'))
    cgroup({ 'cpu/cpu.cfs_quota_us': '50000', 'cpu/cpu.cfs_period_us': '100000' })
    expect(readCgroupCpuLimit(root)).toBe(0.5)
    writeFileSync(join(root, 'cpu/cpu.cfs_quota_us'), '-1\n')
    expect(readCgroupCpuLimit(root)).toBeUndefined()
  })
})
