import { pollUntil, raceDeadline, sleep, untilAborted, withDeadline } from './deadline.js'
import { Listeners } from './listeners.js'
import { closest, optionReader } from './options.js'

describe('Listeners', () => {
  it('keeps emitting to the other listeners when one throws or rejects, and reports both', async () => {
    const errors: unknown[] = []
    const listeners = new Listeners<number>((error) => errors.push(error))
    const seen: number[] = []
    listeners.add(() => {
      throw new Error('sync')
    })
    listeners.add(async () => {
      throw new Error('async')
    })
    const off = listeners.add((n) => seen.push(n))
    listeners.emit(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toEqual([1])
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['async', 'sync'])
    off()
    off()
    listeners.emit(2)
    expect(seen).toEqual([1])
    expect(listeners.size).toBe(2)
  })

  it('survives an onError that throws', () => {
    const listeners = new Listeners<void>(() => {
      throw new Error('reporter broke')
    })
    let reached = false
    listeners.add(() => {
      throw new Error('listener broke')
    })
    listeners.add(() => {
      reached = true
    })
    expect(() => listeners.emit()).not.toThrow()
    expect(reached).toBe(true)
  })
})

describe('raceDeadline / withDeadline', () => {
  it('settles at the deadline even when the work ignores its signal, and aborts the signal', async () => {
    let signal: AbortSignal | undefined
    const race = raceDeadline(
      (s) => {
        signal = s
        return new Promise<never>(() => {})
      },
      30,
      { timeoutReason: () => new Error('late') },
    )
    await expect(race.settled).resolves.toEqual({ kind: 'timeout' })
    expect(signal?.aborted).toBe(true)
    expect(signal?.reason).toEqual(new Error('late'))
  })

  it('turns a synchronous throw into an error and passes values through', async () => {
    await expect(
      raceDeadline(() => {
        throw new Error('boom')
      }, 1000).settled,
    ).resolves.toMatchObject({ kind: 'error', error: new Error('boom') })
    await expect(withDeadline(async () => 42, 1000)).resolves.toBe(42)
    await expect(withDeadline(() => new Promise(() => {}), 20)).rejects.toThrow('timed out after 20 ms')
  })

  it('settles aborted when the outer signal aborts first', async () => {
    const controller = new AbortController()
    const race = raceDeadline(() => new Promise(() => {}), 10_000, { signal: controller.signal })
    controller.abort(new Error('stop'))
    await expect(race.settled).resolves.toMatchObject({ kind: 'aborted' })
    const aborted = new AbortController()
    aborted.abort(new Error('already'))
    await expect(withDeadline(async () => 1, 1000, { signal: aborted.signal })).rejects.toThrow('already')
  })
})

describe('sleep / pollUntil', () => {
  it('sleep rejects with the abort reason', async () => {
    const controller = new AbortController()
    const pending = sleep(10_000, { signal: controller.signal })
    controller.abort(new Error('woken'))
    await expect(pending).rejects.toThrow('woken')
  })

  it('pollUntil stops when the condition holds, and reports a timeout without rejecting', async () => {
    let n = 0
    const seen: number[] = []
    const result = await pollUntil(
      () => ++n,
      (v) => v >= 3,
      { timeoutMs: 5000, intervalMs: 1, onPoll: (v) => seen.push(v) },
    )
    expect(result).toMatchObject({ value: 3, done: true, aborted: false })
    expect(seen).toEqual([1, 2, 3])
    const timedOut = await pollUntil(
      () => false,
      (v) => v,
      { timeoutMs: 30, intervalMs: 5 },
    )
    expect(timedOut.done).toBe(false)
    expect(timedOut.elapsedMs).toBeGreaterThanOrEqual(29)
  })
})

describe('optionReader', () => {
  const read = optionReader('demoCheck')

  it('rejects an unknown option naming it, with a suggestion', () => {
    expect(() => read.object({ timeout: 5 }, ['timeoutMs', 'critical'])).toThrow(
      new TypeError(
        'demoCheck(): unknown option `timeout`; did you mean `timeoutMs`? Known options: timeoutMs, critical',
      ),
    )
    expect(() => read.object({ zzz: 1 }, ['timeoutMs'])).toThrow(
      'demoCheck(): unknown option `zzz`; Known options: timeoutMs',
    )
    expect(() => read.object([], ['a'])).toThrow(
      'demoCheck(): expected the options to be an object, got an array',
    )
  })

  it('names the option and what was expected', () => {
    expect(() => read.positiveNumber('timeoutMs', -1)).toThrow(
      'demoCheck(): expected `timeoutMs` to be a positive number, got number -1',
    )
    expect(read.positiveNumber('timeoutMs', undefined, 800)).toBe(800)
    expect(() => read.oneOf('mode', 'x', ['a', 'b'], 'a')).toThrow("expected `mode` to be one of 'a', 'b'")
    expect(() => read.boolean('critical', 'yes', true)).toThrow('expected `critical` to be a boolean')
  })

  it('suggests close names only', () => {
    expect(closest('cacheTTLMs', ['cacheTtlMs'])).toBe('cacheTtlMs')
    expect(closest('critcal', ['critical', 'tags'])).toBe('critical')
    expect(closest('banana', ['critical', 'tags'])).toBeUndefined()
    expect(closest('token', ['path', 'adminToken'])).toBe('adminToken')
  })
})

describe('untilAborted', () => {
  it('passes the work through, rejects with the reason once the signal aborts, and leaves no listener', async () => {
    await expect(untilAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7)
    const controller = new AbortController()
    const removed: string[] = []
    const remove = controller.signal.removeEventListener.bind(controller.signal)
    controller.signal.removeEventListener = (type: string, listener: never) => {
      removed.push(type)
      remove(type, listener)
    }
    const pending = untilAborted(new Promise<never>(() => {}), controller.signal)
    controller.abort(new Error('deadline'))
    await expect(pending).rejects.toThrow('deadline')
    expect(removed).toEqual(['abort'])
    const done = new AbortController()
    done.abort(new Error('already'))
    await expect(untilAborted(Promise.reject(new Error('late')), done.signal)).rejects.toThrow('already')
  })
})
