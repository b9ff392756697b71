import { cpus, freemem, availableParallelism as osParallelism } from 'node:os'
import { anySignal, availableMemory, availableParallelism } from './platform.js'

const native = { any: AbortSignal.any.bind(AbortSignal) }

describe.each([
  ['native AbortSignal.any', native.any],
  ['fallback', null],
] as const)('anySignal (%s)', (_name, any) => {
  it('aborts with the reason of the first input to abort, and only once', () => {
    const first = new AbortController()
    const second = new AbortController()
    const combined = anySignal([first.signal, second.signal], any)
    const seen: unknown[] = []
    combined.addEventListener('abort', () => seen.push(combined.reason))
    expect(combined.aborted).toBe(false)
    second.abort(new Error('second'))
    first.abort(new Error('first'))
    expect(seen).toEqual([new Error('second')])
  })

  it('is aborted at once when an input already is', () => {
    const done = AbortSignal.abort('gone')
    expect(anySignal([new AbortController().signal, done], any)).toMatchObject({
      aborted: true,
      reason: 'gone',
    })
  })
})

it('the fallback removes its listeners from the other inputs once it fired', () => {
  const first = new AbortController()
  const second = new AbortController()
  const removed = jest.spyOn(second.signal, 'removeEventListener')
  anySignal([first.signal, second.signal], null)
  first.abort()
  expect(removed).toHaveBeenCalledWith('abort', expect.any(Function))
})

describe('availableMemory', () => {
  it('uses process.availableMemory() where it exists', () => {
    expect(availableMemory(() => 1234)).toBe(1234)
    const nativeAvailable = (process as { availableMemory?: () => number }).availableMemory
    if (nativeAvailable) expect(availableMemory()).toBeGreaterThan(0)
  })

  it('falls back to the free memory of the host', () => {
    const fallback = availableMemory(null)
    // freemem() moves between two reads; within 10 % of a second read is the same source.
    expect(Math.abs(fallback - freemem())).toBeLessThan(freemem() * 0.1)
  })
})

describe('availableParallelism', () => {
  it('uses os.availableParallelism() where it exists', () => {
    expect(availableParallelism(() => 3)).toBe(3)
    expect(availableParallelism()).toBe(osParallelism())
  })

  it('falls back to the CPU count, at least 1', () => {
    expect(availableParallelism(null)).toBe(Math.max(1, cpus().length))
  })
})
