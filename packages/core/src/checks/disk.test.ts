import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { CheckDefinition, CheckOutcome } from '../types.js'
import { diskCheck } from './disk.js'

const run = async (definition: CheckDefinition) =>
  (await definition.check(new AbortController().signal)) as CheckOutcome

describe('diskCheck', () => {
  it('passes with the space left on the file system of the path', async () => {
    const definition = diskCheck({ path: tmpdir(), minFreeRatio: 0.000001 })
    expect(definition).toMatchObject({
      name: 'disk',
      critical: false,
      componentType: 'system',
      measurement: 'utilization',
    })
    const outcome = await run(definition)
    const free = Number(outcome.measurements?.freeBytes?.observedValue)
    const total = Number(outcome.measurements?.totalBytes?.observedValue)
    expect(free).toBeGreaterThan(0)
    expect(total).toBeGreaterThanOrEqual(free)
    expect(outcome.observedUnit).toBe('percent')
    expect(outcome.observedValue).toBeCloseTo(100 - (free / total) * 100, 1)
    expect(outcome.output).toMatch(new RegExp(`^.* free of .* \\(.* %\\) at ${resolve(tmpdir())}$`))
  })

  it('watches the working directory by default', async () => {
    const outcome = await run(diskCheck({ minFreeRatio: false }))
    expect(outcome.output).toMatch(new RegExp(` at ${process.cwd()}$`))
  })

  it('fails when the free share is below minFreeRatio', async () => {
    await expect(run(diskCheck({ minFreeRatio: 0.999999 }))).rejects.toThrow(
      /^disk free space is below `minFreeRatio` 0\.999999: .* free of .* at /,
    )
  })

  it('fails when the free bytes are below minFreeBytes', async () => {
    const definition = diskCheck({ minFreeBytes: Number.MAX_SAFE_INTEGER, minFreeRatio: false })
    await expect(run(definition)).rejects.toThrow(/^disk free space is below `minFreeBytes` 8\.0 PiB: /)
  })

  it('fails with the error code when the path does not exist', async () => {
    const missing = join(tmpdir(), 'healthgate-no-such-dir', 'x')
    await expect(run(diskCheck({ path: missing }))).rejects.toThrow(
      `cannot read the file system of ${missing}: ENOENT`,
    )
  })

  it.each([
    [{ path: '' }, /`path` to be a non-empty string/],
    [{ path: 42 }, /`path` to be a string, got number 42/],
    [
      { minFreeRatio: 0 },
      /`minFreeRatio` to be a ratio greater than 0 and at most 1, or false, got number 0/,
    ],
    [{ minFreeRatio: 5 }, /`minFreeRatio` to be a ratio .* got number 5/],
    [{ minFreeBytes: 0 }, /`minFreeBytes` to be a positive number, got number 0/],
    [{ componentId: '' }, /`componentId` to be a non-empty string/],
    [{ minFree: 1 }, /^diskCheck\(\): unknown option `minFree`/],
  ])('rejects bad options %p', (options, message) => {
    expect(() => diskCheck(options as never)).toThrow(TypeError)
    expect(() => diskCheck(options as never)).toThrow(message)
  })
})
