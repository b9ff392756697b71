import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CheckDefinition, CheckOutcome } from '../types.js'
import { type CpuCheckOptions, cpuCheck } from './cpu.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Keeps this thread busy until it has used `ms` of CPU time: counting CPU time rather than wall time keeps
 * the tests meaningful on a host where other processes compete for the cores.
 */
function burn(ms: number): number {
  const start = process.cpuUsage()
  let spins = 0
  for (;;) {
    for (let i = 0; i < 10_000; i++) spins++
    const used = process.cpuUsage(start)
    if ((used.user + used.system) / 1000 >= ms) return spins
  }
}

const created: CheckDefinition[] = []
function create(options?: CpuCheckOptions): CheckDefinition {
  const definition = cpuCheck(options)
  created.push(definition)
  return definition
}
let root: string | undefined
afterEach(async () => {
  for (const definition of created.splice(0)) await definition.close?.()
  if (root) rmSync(root, { recursive: true, force: true })
  root = undefined
})

const run = async (definition: CheckDefinition) =>
  (await definition.check(new AbortController().signal)) as CheckOutcome

describe('cpuCheck', () => {
  it('passes with the process CPU share and the load per CPU observed', async () => {
    const definition = create({ maxLoadPerCore: 1_000_000 })
    expect(definition).toMatchObject({
      name: 'cpu',
      critical: false,
      componentType: 'system',
      measurement: 'utilization',
    })
    await sleep(150)
    const outcome = await run(definition)
    expect(outcome.observedUnit).toBe('percent')
    expect(outcome.observedValue).toBeGreaterThanOrEqual(0)
    expect(outcome.observedValue).toBeLessThan(90)
    expect(outcome.measurements?.loadPerCore?.observedValue).toBeGreaterThanOrEqual(0)
    expect(outcome.output).toMatch(
      /^process CPU .* % of \d+(\.\d+)? cores over the last \d+ ms, load per CPU [\d.]+$/,
    )
  })

  it('fails when the process keeps a core busy beyond maxProcessCpu', async () => {
    const definition = create({ maxProcessCpu: 0.05, maxLoadPerCore: false, cores: 1 })
    burn(200)
    await expect(run(definition)).rejects.toThrow(
      /^cpu process CPU \d+(\.\d)? % is above `maxProcessCpu` 0\.05 \(/,
    )
  })

  it('divides by the cores available: the same work is half the share of twice the cores', async () => {
    const oneCore = create({ maxProcessCpu: false, maxLoadPerCore: false, cores: 1 })
    const twoCores = create({ maxProcessCpu: false, maxLoadPerCore: false, cores: 2 })
    burn(200)
    const [one, two] = [await run(oneCore), await run(twoCores)]
    expect(Number(one.observedValue)).toBeGreaterThan(0)
    // Same work, same window: the share over twice the cores is half (not equal, not a quarter).
    const ratio = (Number(two.observedValue) * 2) / Number(one.observedValue)
    expect(ratio).toBeGreaterThan(0.75)
    expect(ratio).toBeLessThan(1.25)
    expect(two.output).toMatch(/ of 2 cores /)
  })

  it('forgets a busy spell once its window has closed', async () => {
    const definition = create({ maxProcessCpu: false, maxLoadPerCore: false, cores: 1, windowMs: 250 })
    burn(300)
    // This run closes the window that saw the work...
    const busy = Number((await run(definition)).observedValue)
    await sleep(200)
    // ...so this one sees only the idle time since. Measured since the start instead, it would still show
    // the 300 ms of work spread over the whole time: more than half the share seen before.
    const idle = Number((await run(definition)).observedValue)
    expect(busy).toBeGreaterThan(0)
    expect(idle).toBeLessThan(busy / 2)
  })

  it('fails when the load per CPU is above maxLoadPerCore', async () => {
    // The kernel samples the load every 5 s; on an idle host, keep a core busy until it has.
    const until = performance.now() + 6000
    while ((loadavg()[0] ?? 0) === 0 && performance.now() < until) burn(100)
    const definition = create({ maxProcessCpu: false, maxLoadPerCore: 0.000001 })
    await expect(run(definition)).rejects.toThrow(
      /^cpu load per CPU [\d.]+ is above `maxLoadPerCore` 0\.000001 \(/,
    )
  })

  it('takes the cores from the cgroup CPU quota', async () => {
    root = mkdtempSync(join(tmpdir(), 'healthgate-cgroup-'))
    writeFileSync(join(root, 'cpu.max'), '50000 100000\n')
    const outcome = await run(create({ cgroupRoot: root, maxProcessCpu: false, maxLoadPerCore: false }))
    expect(outcome.output).toMatch(/ of 0\.5 cores /)
  })

  it('ignores a cgroup v1 quota of -1 and uses the available parallelism', async () => {
    root = mkdtempSync(join(tmpdir(), 'healthgate-cgroup-'))
    mkdirSync(join(root, 'cpu'))
    writeFileSync(join(root, 'cpu', 'cpu.cfs_quota_us'), '-1\n')
    writeFileSync(join(root, 'cpu', 'cpu.cfs_period_us'), '100000\n')
    const outcome = await run(create({ cgroupRoot: root, maxProcessCpu: false, maxLoadPerCore: false }))
    expect(outcome.output).toContain(` of ${availableParallelism()} cores `)
  })

  it.each([
    [{ maxProcessCpu: -0.5 }, /`maxProcessCpu` to be a positive number, or false, got number -0.5/],
    [{ maxLoadPerCore: true }, /`maxLoadPerCore` to be a positive number, or false, got boolean true/],
    [{ windowMs: -1 }, /`windowMs` to be a positive number, got number -1/],
    [{ cores: 0 }, /`cores` to be a positive number, got number 0/],
    [{ failureThreshold: 1.5 }, /`failureThreshold` to be a positive integer, got number 1.5/],
    [{ maxCpu: 0.5 }, /^cpuCheck\(\): unknown option `maxCpu`/],
  ])('rejects bad options %p', (options, message) => {
    expect(() => cpuCheck(options as never)).toThrow(TypeError)
    expect(() => cpuCheck(options as never)).toThrow(message)
  })
})
