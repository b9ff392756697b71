import { runInNewContext } from 'node:vm'
import { createHealth, type Health } from './health.js'
import type { CheckDefinition, CheckResult } from './types.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let health: Health | undefined
afterEach(async () => {
  await health?.close()
  health = undefined
})

const make = (checks: CheckDefinition[], options: Parameters<typeof createHealth>[0] = {}) => {
  health = createHealth({ ...options, checks })
  return health
}

const pass = (name: string, extra: Partial<CheckDefinition> = {}): CheckDefinition => ({
  name,
  check: async () => {},
  ...extra,
})
const failing = (name: string, extra: Partial<CheckDefinition> = {}): CheckDefinition => ({
  name,
  check: async () => {
    throw new Error(`${name} is down`)
  },
  ...extra,
})

const find = (checks: CheckResult[], name: string) => {
  const result = checks.find((check) => check.name === name)
  if (!result) throw new Error(`no result for ${name}`)
  return result
}

describe('deadline', () => {
  it('reports a check that never settles and ignores its signal as failed at its deadline', async () => {
    const h = make([{ name: 'hung', timeoutMs: 200, check: () => new Promise<void>(() => {}) }])
    const started = performance.now()
    const report = await h.evaluate()
    const elapsed = performance.now() - started
    expect(report.status).toBe('fail')
    expect(report.httpStatus).toBe(503)
    expect(find(report.checks, 'hung').output).toMatch(/timed out after 200 ms/)
    expect(elapsed).toBeGreaterThanOrEqual(195)
    expect(elapsed).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
  })

  it('aborts the signal with a CheckTimeoutError at the deadline', async () => {
    let reason: unknown
    const h = make([
      {
        name: 'cooperative',
        timeoutMs: 50,
        check: (signal) =>
          new Promise<void>((_resolve, reject) => {
            signal.addEventListener(
              'abort',
              () => {
                reason = signal.reason
                reject(signal.reason)
              },
              { once: true },
            )
          }),
      },
    ])
    await h.evaluate()
    expect(reason).toBeInstanceOf(Error)
    expect((reason as Error).name).toBe('CheckTimeoutError')
  })

  it('answers readiness within 1 s with default options when a dependency hangs', async () => {
    const h = make([{ name: 'db', check: () => new Promise<void>(() => {}) }])
    const started = performance.now()
    const report = await h.evaluate()
    expect(report.status).toBe('fail')
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('single flight and cache', () => {
  it('runs a 100 ms check once for 1,000 concurrent evaluations, and once more after the TTL', async () => {
    let runs = 0
    const h = make([
      {
        name: 'slow',
        cacheTtlMs: 300,
        check: async () => {
          runs++
          await sleep(100)
        },
      },
    ])
    const first = await Promise.all(Array.from({ length: 1000 }, () => h.evaluate()))
    expect(runs).toBe(1)
    expect(first.every((report) => report.status === 'pass')).toBe(true)
    await sleep(350)
    await Promise.all(Array.from({ length: 1000 }, () => h.evaluate()))
    expect(runs).toBe(2)
  })

  it('gives every evaluation that arrives while a check runs the same report', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const h = make([pass('fast'), { name: 'slow', check: () => gate }])
    const waiting = Array.from({ length: 50 }, () => h.evaluate())
    release()
    const reports = await Promise.all(waiting)
    // One report built for all of them (and so rendered once by the handler), not one each.
    expect(new Set(reports).size).toBe(1)
    expect(reports[0]?.status).toBe('pass')
  })

  it('does not join a report being built before maintenance changed', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const h = make([{ name: 'slow', check: () => gate }])
    const before = h.evaluate()
    await h.enterMaintenance('deploy')
    const after = h.evaluate()
    release()
    expect((await before).httpStatus).toBe(200)
    expect(await after).toMatchObject({ httpStatus: 503, output: 'maintenance' })
  })

  it('never starts a second run while an abandoned run is still hung', async () => {
    let runs = 0
    let release: () => void = () => {}
    const h = make([
      {
        name: 'stuck',
        timeoutMs: 50,
        cacheTtlMs: 20,
        check: () => {
          runs++
          return new Promise<void>((resolve) => {
            release = resolve
          })
        },
      },
    ])
    const first = await h.evaluate()
    expect(find(first.checks, 'stuck').output).toMatch(/timed out/)
    for (let i = 0; i < 10; i++) {
      await sleep(25)
      const report = await h.evaluate()
      expect(report.status).toBe('fail')
      expect(find(report.checks, 'stuck').output).toMatch(/still running after \d+ ms/)
    }
    expect(runs).toBe(1)
    release()
    await sleep(30)
    const after = await h.evaluate()
    expect(runs).toBe(2)
    expect(after.status).toBe('fail') // the new run hangs too, until released
    release()
  })
})

describe('cachedReport', () => {
  it('serves the report evaluate() resolved while it is fresh and unchanged, and nothing otherwise', async () => {
    const h = make([pass('db', { cacheTtlMs: 60 })])
    expect(h.cachedReport('ready', [])).toBeUndefined()
    await h.evaluate()
    const report = await h.evaluate()
    expect(h.cachedReport('ready', [])).toBe(report)
    await h.enterMaintenance()
    expect(h.cachedReport('ready', [])).toBeUndefined()
    await h.leaveMaintenance()
    await h.evaluate()
    const fresh = await h.evaluate()
    expect(h.cachedReport('ready', [])).toBe(fresh)
    await sleep(80)
    expect(h.cachedReport('ready', [])).toBeUndefined()
  })

  it('judges freshness by the `now` it is given', async () => {
    const h = make([pass('db', { cacheTtlMs: 60_000 })])
    await h.evaluate()
    const report = await h.evaluate()
    const now = performance.now()
    expect(h.cachedReport('ready', [], now)).toBe(report)
    expect(h.cachedReport('ready', [], now + 120_000)).toBeUndefined()
  })
})

describe('aggregation', () => {
  it.each([
    ['pass+pass', [pass('a'), pass('b')], 'pass', 200],
    ['pass+warn', [pass('a'), { name: 'b', check: async () => ({ status: 'warn' as const }) }], 'warn', 200],
    ['non-critical fail', [pass('a'), failing('b', { critical: false })], 'warn', 200],
    ['critical fail', [pass('a'), failing('b')], 'fail', 503],
    ['no checks', [], 'pass', 200],
  ])('%s', async (_label, checks, status, httpStatus) => {
    const report = await make(checks as CheckDefinition[]).evaluate()
    expect(report.status).toBe(status)
    expect(report.httpStatus).toBe(httpStatus)
  })

  it('a background check with no result yet makes readiness 503', async () => {
    const h = make([
      {
        name: 'bg',
        intervalMs: 10_000,
        check: async () => {
          await sleep(200)
        },
      },
    ])
    const report = await h.evaluate()
    expect(report.httpStatus).toBe(503)
    expect(find(report.checks, 'bg').output).toBe('no result yet')
    await sleep(300)
    expect((await h.evaluate()).httpStatus).toBe(200)
  })

  it('tells the placeholder by identity, not by its text: a check failing with the same words keeps its duration', async () => {
    const h = make([
      { name: 'bg', intervalMs: 10_000, check: () => sleep(200).then(() => undefined) },
      failing('says', {
        check: async () => {
          throw new Error('no result yet')
        },
      }),
    ])
    const report = await h.evaluate()
    expect(find(report.checks, 'bg')).not.toHaveProperty('observedValue')
    expect(find(report.checks, 'says')).toMatchObject({
      output: 'no result yet',
      observedValue: expect.any(Number),
      observedUnit: 'ms',
    })
    await sleep(250)
  })

  it('keeps liveness free of checks not tagged live', async () => {
    const h = make([failing('db'), pass('loop', { tags: ['live', 'ready'] })])
    const live = await h.evaluate({ probe: 'live' })
    expect(live.httpStatus).toBe(200)
    expect(live.checks.map((c) => c.name)).toEqual(['loop'])
    expect((await h.evaluate()).httpStatus).toBe(503)
  })

  it('leaves excluded checks out and rejects unknown names', async () => {
    const h = make([failing('db'), pass('cache')])
    const report = await h.evaluate({ exclude: ['db'] })
    expect(report.httpStatus).toBe(200)
    await expect(h.evaluate({ exclude: ['nope'] })).rejects.toThrow(/Unknown check "nope"/)
  })
})

describe('hysteresis', () => {
  it('flips to fail on the 3rd consecutive failure, and a success in between resets the count', async () => {
    const outcomes = [true, false, false, true, false, false, false]
    let i = 0
    const h = make([
      {
        name: 'flaky',
        cacheTtlMs: 1,
        failureThreshold: 3,
        check: async () => {
          if (!outcomes[i++]) throw new Error('down')
        },
      },
    ])
    const statuses: string[] = []
    for (let n = 0; n < outcomes.length; n++) {
      statuses.push((await h.evaluate()).status)
      await sleep(3)
    }
    expect(statuses).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'fail'])
  })

  it('needs successThreshold consecutive successes to recover', async () => {
    const outcomes = [false, true, true]
    let i = 0
    const h = make([
      {
        name: 'recovering',
        cacheTtlMs: 1,
        successThreshold: 2,
        check: async () => {
          if (!outcomes[i++]) throw new Error('down')
        },
      },
    ])
    const statuses: string[] = []
    for (let n = 0; n < outcomes.length; n++) {
      statuses.push((await h.evaluate()).status)
      await sleep(3)
    }
    expect(statuses).toEqual(['fail', 'fail', 'pass'])
  })
})

describe('misbehaving checks', () => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  beforeAll(() => process.on('unhandledRejection', onUnhandled))
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled)
  })

  it.each([
    [
      'throws a string',
      () => {
        throw 'boom'
      },
      /non-Error value: the string "boom"/,
    ],
    [
      'throws synchronously',
      () => {
        throw new Error('sync failure')
      },
      /sync failure/,
    ],
    ['rejects with undefined', () => Promise.reject(undefined), /non-Error value: undefined/],
    [
      'throws an Error from another realm',
      () => Promise.reject(runInNewContext('new Error("vm error")')),
      /^vm error$/,
    ],
    ['resolves a number', () => Promise.resolve(42 as never), /malformed value.*number 42/],
    ['resolves a bad status', () => Promise.resolve({ status: 'fail' } as never), /malformed value.*status/],
  ])('%s: fail with a clear output', async (_label, check, output) => {
    const report = await make([{ name: 'bad', check }]).evaluate()
    expect(report.status).toBe('fail')
    expect(find(report.checks, 'bad').output).toMatch(output)
    await sleep(10)
    expect(unhandled).toEqual([])
  })

  it('never puts a stack trace or URL credentials in the output', async () => {
    const report = await make([
      failing('db', {
        check: async () => {
          throw new Error(
            'connect to postgres://app:s3cret@db:5432/x failed\n    at Socket.connect (net.js:1:1)',
          )
        },
      }),
    ]).evaluate()
    const output = find(report.checks, 'db').output ?? ''
    expect(output).toContain('postgres://***@db:5432/x')
    expect(output).not.toContain('s3cret')
    expect(output).not.toContain('at Socket')
  })
})
