import { CheckTimeoutError } from '../errors.js'
import { createHealth } from '../health.js'
import { queryCheck } from './query.js'

async function run(definition: ReturnType<typeof queryCheck>, timeoutMs = 1000) {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new CheckTimeoutError(timeoutMs)), timeoutMs)
  const started = performance.now()
  try {
    const value = await definition.check(controller.signal)
    return { ok: true as const, value, ms: performance.now() - started }
  } catch (error) {
    return { ok: false as const, error: error as Error, ms: performance.now() - started }
  } finally {
    clearTimeout(timer)
  }
}

describe('queryCheck', () => {
  test('defaults: name database, critical, componentType datastore; options pass through', () => {
    expect(queryCheck(async () => 1)).toMatchObject({
      name: 'database',
      critical: true,
      componentType: 'datastore',
    })
    expect(queryCheck(async () => 1, { name: 'orders-db', timeoutMs: 300, critical: false })).toMatchObject({
      name: 'orders-db',
      timeoutMs: 300,
      critical: false,
    })
  })

  test('rejects a query that is not a function, and a misspelt option', () => {
    expect(() => queryCheck('select 1' as never)).toThrow(
      new TypeError(
        'queryCheck(): expected `query` to be a function returning a promise, got the string "select 1"',
      ),
    )
    expect(() => queryCheck(async () => 1, { timeout: 5 } as never)).toThrow(
      /^queryCheck\(\): unknown option `timeout`; did you mean `timeoutMs`\?/,
    )
  })

  test('passes with the round-trip time and hands the signal to the query', async () => {
    let seen: AbortSignal | undefined
    const result = await run(
      queryCheck(async (signal) => {
        seen = signal
        return [{ one: 1 }]
      }),
    )
    expect(result).toMatchObject({
      ok: true,
      value: { observedUnit: 'ms', observedValue: expect.any(Number) },
    })
    expect(seen).toBeInstanceOf(AbortSignal)
  })

  test('a failing query fails with its message and code, never the credentials in it', async () => {
    const error = Object.assign(
      new Error('connect ECONNREFUSED mysql://app:s3cret@db:3306/shop\n    at stack frame'),
      { code: 'ECONNREFUSED' },
    )
    const result = await run(queryCheck(() => Promise.reject(error)))
    // The code is in the message already: not said twice.
    expect(result.ok ? '' : result.error.message).toBe(
      'query failed: connect ECONNREFUSED mysql://***@db:3306/shop',
    )
    const coded = Object.assign(new Error('Access denied for user app'), { code: 'ER_ACCESS_DENIED_ERROR' })
    const denied = await run(queryCheck(() => Promise.reject(coded)))
    expect(denied.ok ? '' : denied.error.message).toBe(
      'query failed: Access denied for user app (ER_ACCESS_DENIED_ERROR)',
    )
    const sync = await run(
      queryCheck(() => {
        throw new Error('password=hunter2 rejected')
      }),
    )
    expect(sync.ok ? '' : sync.error.message).toBe('query failed: password=*** rejected')
  })

  test('a hung query: the run settles at the deadline and no second query starts until it settles', async () => {
    let calls = 0
    let answer: (() => void) | undefined
    const definition = queryCheck(() => {
      calls += 1
      return new Promise<void>((resolve) => {
        answer = resolve
      })
    })
    const first = await run(definition, 100)
    expect(first).toMatchObject({ ok: false, error: { name: 'CheckTimeoutError' } })
    expect(first.ms).toBeLessThan(200)
    const second = await run(definition, 100)
    expect(second.ok ? '' : second.error.message).toMatch(
      /^previous health query still unanswered after \d+ ms$/,
    )
    expect(second.ms).toBeLessThan(50)
    expect(calls).toBe(1)
    answer?.()
    await new Promise((resolve) => setImmediate(resolve))
    const recovered = run(definition, 100)
    answer?.()
    expect(await recovered).toMatchObject({ ok: true })
    expect(calls).toBe(2)
  })

  test('in a Health: the report fails at the deadline with the runner message', async () => {
    const health = createHealth({
      checks: [queryCheck(() => new Promise(() => {}), { name: 'orders-db', timeoutMs: 100 })],
    })
    try {
      const started = performance.now()
      const report = await health.evaluate()
      expect(performance.now() - started).toBeLessThan(300)
      expect(report.status).toBe('fail')
      expect(JSON.stringify(report)).toContain('timed out after 100 ms')
    } finally {
      await health.close()
    }
  })
})
