import { createHealth, type Health } from '../health.js'
import { pollUntil } from '../primitives/deadline.js'
import type { CheckDefinition } from '../types.js'

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
describe('maintenance and lifecycle', () => {
  it('turns readiness 503 on the very next request even with a fresh cached pass; liveness stays 200', async () => {
    let runs = 0
    const h = make([pass('db', { cacheTtlMs: 60_000, check: async () => void runs++ })])
    expect((await h.evaluate()).httpStatus).toBe(200)
    await h.enterMaintenance('deploy 1.4.2')
    const ready = await h.evaluate()
    expect(ready.httpStatus).toBe(503)
    expect(ready.output).toBe('maintenance')
    expect(h.state).toBe('draining')
    expect((await h.evaluate({ probe: 'live' })).httpStatus).toBe(200)
    await h.leaveMaintenance()
    expect((await h.evaluate()).httpStatus).toBe(200)
    expect(runs).toBe(1)
  })

  it('is starting until startup checks pass (auto) or markStarted (manual)', async () => {
    let ready = false
    const h = make([
      {
        name: 'migrations',
        tags: ['startup'],
        cacheTtlMs: 1,
        check: async () => {
          if (!ready) throw new Error('pending')
        },
      },
    ])
    expect(h.state).toBe('starting')
    expect((await h.evaluate({ probe: 'startup' })).httpStatus).toBe(503)
    expect((await h.evaluate()).httpStatus).toBe(503)
    ready = true
    await sleep(5)
    expect((await h.evaluate({ probe: 'startup' })).httpStatus).toBe(200)
    expect(h.state).toBe('ready')
    await h.close()
    const manual = make([], { startup: 'manual' })
    expect((await manual.evaluate()).output).toBe('starting')
    manual.markStarted()
    expect((await manual.evaluate()).httpStatus).toBe(200)
  })

  it('drains for shutdown: readiness 503, liveness 200', async () => {
    const h = make([pass('db')])
    h.startDraining()
    expect((await h.evaluate()).output).toBe('draining')
    expect((await h.evaluate({ probe: 'live' })).httpStatus).toBe(200)
  })
})

describe('events', () => {
  it('emits per-check and aggregate changes; disposers unsubscribe; listener errors are reported', async () => {
    let fail = false
    const errors: unknown[] = []
    const h = make(
      [
        {
          name: 'db',
          cacheTtlMs: 1,
          check: async () => {
            if (fail) throw new Error('down')
          },
        },
      ],
      { onError: (error) => errors.push(error) },
    )
    const checkEvents: string[] = []
    const statusEvents: string[] = []
    const offCheck = h.onCheckChange((event) =>
      checkEvents.push(`${event.name}:${event.previous}->${event.current}`),
    )
    h.onStatusChange((event) => statusEvents.push(`${event.previous}->${event.current}`))
    h.onStatusChange(() => {
      throw new Error('listener bug')
    })
    await h.evaluate()
    fail = true
    await sleep(5)
    await h.evaluate()
    offCheck()
    fail = false
    await sleep(5)
    await h.evaluate()
    expect(checkEvents).toEqual(['db:undefined->pass', 'db:pass->fail'])
    // Readiness is 'fail' until the first result proves it passes: no listener sees a pass taken back.
    expect(statusEvents).toEqual(['fail->pass', 'pass->fail', 'fail->pass'])
    expect(errors.length).toBeGreaterThan(0)
  })
})

describe('readiness before the first results', () => {
  it('is fail, not pass, until each readiness check has a result: a failing check at startup never shows a pass', async () => {
    const h = make([
      {
        name: 'db',
        check: async () => {
          throw new Error('refused')
        },
      },
    ])
    const statusEvents: string[] = []
    h.onStatusChange((event) => statusEvents.push(`${event.previous}->${event.current}`))
    expect(h.readyStatus()).toBe('fail')
    await h.evaluate()
    expect(h.readyStatus()).toBe('fail')
    expect(statusEvents).toEqual([])
  })
})

describe('event listener errors', () => {
  it('a throwing listener neither breaks the emitter nor the other listeners, and reaches onError', async () => {
    let fail = false
    const errors: unknown[] = []
    const h = make(
      [
        {
          name: 'db',
          cacheTtlMs: 1,
          check: async () => {
            if (fail) throw new Error('down')
          },
        },
      ],
      { onError: (error) => errors.push(error) },
    )
    const seen: string[] = []
    const checkBug = new Error('check listener bug')
    const statusBug = new Error('status listener bug')
    h.onCheckChange(() => {
      throw checkBug
    })
    h.onCheckChange((event) => seen.push(`check ${event.current}`))
    h.onStatusChange(async () => {
      throw statusBug
    })
    h.onStatusChange((event) => seen.push(`status ${event.current}`))
    await h.evaluate()
    fail = true
    await sleep(5)
    // The run that emits still resolves its report: the emitter is not broken.
    await expect(h.evaluate()).resolves.toMatchObject({ status: 'fail' })
    await h.enterMaintenance()
    await sleep(0)
    expect(seen).toEqual(['check pass', 'status pass', 'check fail', 'status fail'])
    expect(errors).toEqual([checkBug, statusBug, checkBug, statusBug])
  })
})

describe('background refresh', () => {
  it('refreshes on its own with unref’d timers and stops on close', async () => {
    let runs = 0
    const h = make([{ name: 'bg', intervalMs: 30, check: async () => void runs++ }])
    // Three runs on its own, without a request (within a deadline that holds on a busy machine).
    await pollUntil(
      () => runs,
      (n) => n >= 3,
      { timeoutMs: 5000, intervalMs: 10 },
    )
    expect(runs).toBeGreaterThanOrEqual(3)
    await h.close()
    const after = runs
    await sleep(100)
    expect(runs).toBe(after)
  })
})

describe('validation', () => {
  it.each([
    [{ defaultTimeoutMs: -1 }, /`defaultTimeoutMs`.*positive number.*-1/],
    [{ checks: [{ name: 'a', check: 'nope' }] }, /^check "a": expected `check` to be a function/],
    [
      { checks: [pass('a', { timeout: 5 } as never)] },
      /^check "a": unknown option `timeout`; did you mean `timeoutMs`\?/,
    ],
    [{ checks: [pass('a'), pass('a')] }, /Duplicate check name "a"/],
    [{ checks: [pass('a', { timeoutMs: 0 })] }, /`timeoutMs`/],
    [{ checks: [pass('a', { failureThreshold: 1.5 })] }, /`failureThreshold`.*positive integer/],
    [{ checks: [pass('a', { tags: ['readiness' as never] })] }, /`tags`/],
    [{ checks: [pass('bad name')] }, /`name`/],
    [{ startup: 'later' }, /`startup`/],
    [
      { defaultCacheTtl: 5000 },
      /^createHealth\(\): unknown option `defaultCacheTtl`; did you mean `defaultCacheTtlMs`\?/,
    ],
    [
      { cacheTtlMs: 5000 },
      /^createHealth\(\): unknown option `cacheTtlMs`; did you mean `defaultCacheTtlMs`\? Known options: checks, /,
    ],
    [{ onError: 'log' }, /^createHealth\(\): expected `onError` to be a function/],
    [{ maintenance: {} }, /^createHealth\(\): expected `maintenance` to be a MaintenanceStore/],
    [null, /^createHealth\(\): expected the options to be an object, got null/],
  ])('rejects %p', (options, message) => {
    expect(() => createHealth(options as never)).toThrow(TypeError)
    expect(() => createHealth(options as never)).toThrow(message)
  })

  it('rejects a duplicate name added later', () => {
    const h = make([pass('a')])
    expect(() => h.add(pass('a'))).toThrow(/Duplicate check name "a"/)
  })
})
