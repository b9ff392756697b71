import type { CheckDefinition, CheckOutcome } from '../types.js'
import { type EventLoopCheckOptions, eventLoopCheck } from './event-loop.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Blocks the event loop for `ms`. */
function block(ms: number): number {
  const end = performance.now() + ms
  let spins = 0
  while (performance.now() < end) spins++
  return spins
}

const created: CheckDefinition[] = []
function create(options?: EventLoopCheckOptions): CheckDefinition {
  const definition = eventLoopCheck(options)
  created.push(definition)
  return definition
}
afterEach(async () => {
  for (const definition of created.splice(0)) await definition.close?.()
})

const run = async (definition: CheckDefinition, signal = new AbortController().signal) =>
  (await definition.check(signal)) as CheckOutcome

describe('eventLoopCheck', () => {
  it('passes with delay and utilization observed over a first short sampling span', async () => {
    const definition = create({ maxDelayP99Ms: 1000, maxUtilization: 1 })
    expect(definition).toMatchObject({
      name: 'eventLoop',
      critical: false,
      componentType: 'system',
      measurement: 'delayP99',
    })
    const started = performance.now()
    const outcome = await run(definition)
    // The monitor starts with the first run, which waits for a first handful of samples.
    expect(performance.now() - started).toBeGreaterThanOrEqual(90)
    expect(outcome.observedUnit).toBe('ms')
    expect(outcome.observedValue).toBeGreaterThanOrEqual(0)
    expect(outcome.observedValue).toBeLessThan(1000)
    expect(outcome.measurements?.utilization?.observedUnit).toBe('percent')
    expect(outcome.measurements?.utilization?.observedValue).toBeLessThanOrEqual(100)
    expect(outcome.measurements?.delayMax?.observedValue).toBeGreaterThanOrEqual(
      Number(outcome.observedValue),
    )
    expect(outcome.output).toMatch(/^p99 delay .* ms, max .* ms, utilization .* % over the last \d+ ms$/)
    // Later runs answer at once.
    const again = performance.now()
    await run(definition)
    expect(performance.now() - again).toBeLessThan(50)
  })

  it('fails when a blocked loop pushes the p99 delay above maxDelayP99Ms', async () => {
    const definition = create({ maxDelayP99Ms: 40, maxUtilization: false })
    await run(definition).catch(() => undefined)
    block(200)
    await sleep(30)
    await expect(run(definition)).rejects.toThrow(
      /^event loop p99 delay \d+(\.\d)? ms is above `maxDelayP99Ms` 40 ms \(/,
    )
  })

  it('fails when the loop was busy for more than maxUtilization of the window', async () => {
    const definition = create({ maxDelayP99Ms: false, maxUtilization: 0.5 })
    await run(definition).catch(() => undefined)
    block(400)
    await expect(run(definition)).rejects.toThrow(
      /^event loop utilization .* % is above `maxUtilization` 0\.5 \(/,
    )
  })

  it('forgets a blocked loop once its window has closed', async () => {
    const definition = create({ maxDelayP99Ms: 40, maxUtilization: false, windowMs: 250 })
    await run(definition).catch(() => undefined)
    block(150)
    await sleep(160)
    // This run closes the window that saw the block...
    await expect(run(definition)).rejects.toThrow(/maxDelayP99Ms/)
    await sleep(150)
    // ...so the next one only sees the quiet loop since.
    const outcome = await run(definition)
    expect(outcome.observedValue).toBeLessThan(40)
  })

  it('stops the monitor on close and starts it again on the next run', async () => {
    const definition = create({ maxDelayP99Ms: 1000, maxUtilization: 1 })
    await run(definition)
    await definition.close?.()
    const started = performance.now()
    await run(definition)
    expect(performance.now() - started).toBeGreaterThanOrEqual(90)
  })

  it('stops waiting for samples when its signal aborts', async () => {
    const definition = create()
    const controller = new AbortController()
    const reason = new Error('deadline')
    setTimeout(() => controller.abort(reason), 20)
    const started = performance.now()
    await expect(run(definition, controller.signal)).rejects.toBe(reason)
    expect(performance.now() - started).toBeLessThan(90)
  })

  it.each([
    [{ maxDelayP99Ms: 0 }, /`maxDelayP99Ms` to be a positive number, or false, got number 0/],
    [{ maxDelayP99Ms: '200' }, /`maxDelayP99Ms` to be a positive number, or false, got the string "200"/],
    [
      { maxUtilization: 1.1 },
      /`maxUtilization` to be a ratio greater than 0 and at most 1, or false, got number 1.1/,
    ],
    [{ windowMs: 0 }, /`windowMs` to be a positive number, got number 0/],
    [{ windowMs: Number.POSITIVE_INFINITY }, /`windowMs` to be a positive number, got number Infinity/],
    [
      { tags: ['ready', 'health'] },
      /`tags` to be an array of 'live', 'ready', 'startup', got \["ready","health"\]/,
    ],
    [{ maxDelayMs: 10 }, /^eventLoopCheck\(\): unknown option `maxDelayMs`/],
  ])('rejects bad options %p', (options, message) => {
    expect(() => eventLoopCheck(options as never)).toThrow(TypeError)
    expect(() => eventLoopCheck(options as never)).toThrow(message)
  })
})
