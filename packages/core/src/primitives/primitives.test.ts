import { pollUntil, raceDeadline, sleep, untilAborted, withDeadline } from './deadline.js'
import { describeFailure, oneAtATime, ownConnection, peerExport } from './driver.js'
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

describe('oneAtATime', () => {
  it('fails a run at once while an abandoned one is outstanding, and runs again once it settles', async () => {
    let calls = 0
    let settle: (() => void) | undefined
    const check = oneAtATime(
      () => {
        calls += 1
        return new Promise((resolve) => {
          settle = () => resolve({ observedValue: 1 })
        })
      },
      { busy: 'previous health ping unanswered' },
    )
    const first = new AbortController()
    const running = check(first.signal)
    first.abort(new Error('deadline'))
    await expect(running).rejects.toThrow('deadline')
    await expect(check(new AbortController().signal)).rejects.toThrow(
      /^previous health ping unanswered after \d+ ms$/,
    )
    expect(calls).toBe(1)
    settle?.()
    await Promise.resolve()
    const again = check(new AbortController().signal)
    settle?.()
    await expect(again).resolves.toEqual({ observedValue: 1 })
    expect(calls).toBe(2)
  })

  it('describes a failure of the work with `describe`, and never starts on an aborted signal', async () => {
    const check = oneAtATime(() => Promise.reject(new Error('boom')), {
      busy: 'busy',
      describe: (error) => describeFailure('ping failed', error),
    })
    await expect(check(new AbortController().signal)).rejects.toThrow('ping failed: boom')
    const aborted = new AbortController()
    aborted.abort('not an error')
    await expect(check(aborted.signal)).rejects.toThrow('health check aborted')
  })
})

describe('describeFailure', () => {
  it('says the context, the sanitized message and a code the message lacks, once', () => {
    const error = Object.assign(new Error('connect to postgres://app:secret@db/x refused\n    at frame'), {
      code: 'ECONNREFUSED',
    })
    const described = describeFailure('cannot connect', error)
    expect(described.message).toBe('cannot connect: connect to postgres://***@db/x refused (ECONNREFUSED)')
    expect(described.cause).toBe(error)
    expect(describeFailure('again', described)).toBe(described)
    const timeout = Object.assign(new Error('timed out'), { name: 'CheckTimeoutError' })
    expect(describeFailure('ping failed', timeout)).toBe(timeout)
    expect(describeFailure('ping failed', { code: 'lower case' }).message).toBe('ping failed: an object')
  })
})

describe('peerExport', () => {
  it('loads once, names a missing export, and tries again after a failed load', async () => {
    let loads = 0
    const connect = () => 'connected'
    const load = peerExport<typeof connect>('driver', 'connect', async () => {
      loads += 1
      return { default: { connect } }
    })
    expect(await load()).toBe(connect)
    expect(await load()).toBe(connect)
    expect(loads).toBe(1)
    await expect(peerExport('driver', 'connect', async () => ({ other: 1 }))()).rejects.toThrow(
      'the `driver` package does not export `connect`',
    )
    let attempts = 0
    const flaky = peerExport<typeof connect>('driver', 'connect', async () => {
      attempts += 1
      if (attempts === 1) throw new Error('Cannot find package')
      return { connect }
    })
    await expect(flaky()).rejects.toThrow('Cannot find package')
    expect(await flaky()).toBe(connect)
  })
})

describe('ownConnection', () => {
  interface Fake {
    id: number
    destroyed: boolean
    ended: boolean
    lost?: () => void
  }
  function driver(options: { connect?: () => Promise<void>; probe?: (c: Fake) => Promise<void> } = {}) {
    const opened: Fake[] = []
    const own = ownConnection<Fake>({
      open: async () => {
        await options.connect?.()
        const connection: Fake = { id: opened.length + 1, destroyed: false, ended: false }
        opened.push(connection)
        return connection
      },
      onLost: (connection, lost) => {
        connection.lost = lost
      },
      destroy: (connection) => {
        connection.destroyed = true
      },
      end: async (connection) => {
        connection.ended = true
      },
      probe: async (connection) => {
        await options.probe?.(connection)
        return { observedValue: connection.id }
      },
      keepAfterFailure: (_connection, error) => (error as Error).message === 'missing queue',
    })
    return { own, opened }
  }
  const signal = () => new AbortController().signal

  it('opens once, reuses it, replaces it once lost or failed, and ends it on close', async () => {
    let failWith: string | undefined
    const { own, opened } = driver({
      probe: async () => {
        if (failWith) throw new Error(failWith)
      },
    })
    expect(await own.check(signal())).toEqual({ observedValue: 1 })
    expect(await own.check(signal())).toEqual({ observedValue: 1 })
    opened[0]?.lost?.()
    expect(await own.check(signal())).toEqual({ observedValue: 2 })
    failWith = 'missing queue'
    await expect(own.check(signal())).rejects.toThrow('missing queue')
    failWith = 'broken pipe'
    await expect(own.check(signal())).rejects.toThrow('broken pipe')
    failWith = undefined
    expect(await own.check(signal())).toEqual({ observedValue: 3 })
    expect(opened.map((c) => c.destroyed)).toEqual([true, true, false])
    await own.close()
    expect(opened[2]?.ended).toBe(true)
    await expect(own.check(signal())).rejects.toThrow('check closed')
  })

  it('a connect attempt given up at a deadline is joined by the next run, and its connection kept', async () => {
    let finish: (() => void) | undefined
    let attempts = 0
    const { own, opened } = driver({
      connect: () => {
        attempts += 1
        return new Promise((resolve) => {
          finish = resolve
        })
      },
    })
    const first = new AbortController()
    const run = own.check(first.signal)
    first.abort(new Error('deadline'))
    await expect(run).rejects.toThrow('deadline')
    const second = own.check(signal())
    finish?.()
    expect(await second).toEqual({ observedValue: 1 })
    expect([attempts, opened.length]).toEqual([1, 1])
  })

  it('cuts the connection off at the deadline of a probe that hangs', async () => {
    const { own, opened } = driver({ probe: () => new Promise(() => {}) })
    const controller = new AbortController()
    const run = own.check(controller.signal)
    await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort(new Error('deadline'))
    await expect(run).rejects.toThrow('deadline')
    expect(opened[0]?.destroyed).toBe(true)
  })

  it('describes a failed connect', async () => {
    const { own } = driver({ connect: () => Promise.reject(new Error('refused by amqp://u:pw@h')) })
    await expect(own.check(signal())).rejects.toThrow('cannot connect: refused by amqp://***@h')
  })
})
