import type { CheckOutcome } from '@healthgate/core'
import { createHealth } from '@healthgate/core'
import { mysqlCheck } from '@healthgate/mysql'
import mysql from 'mysql2'
import mysqlPromise from 'mysql2/promise'
import { probeBlackHole } from '../support/black-hole.js'
import { cleanupRegistry } from '../support/cleanup.js'
import { proxiedService } from '../support/fault-proxy.js'
import { closedPort } from '../support/ports.js'
import { failureMessage, runCheck as run } from '../support/run-check.js'
import { MYSQL_URL, uniqueSuffix } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const later = cleanupRegistry()
const proxied = () => proxiedService(later, MYSQL_URL, 3306)

function appPool(url: string, connectionLimit = 10): mysqlPromise.Pool {
  const pool = later(mysqlPromise.createPool({ uri: url, connectionLimit }), (p) => p.end().catch(() => {}))
  // The application's own handler: errors of idle connections must not crash the process.
  pool.pool.on('error' as never, () => {})
  return pool
}

/** mysql2's count of open pool connections (not in its typings). */
const openConnections = (pool: mysqlPromise.Pool): number =>
  (pool.pool as unknown as { _allConnections: { length: number } })._allConnections.length

const message = failureMessage

describe('mysqlCheck options', () => {
  test('reject a bad target or option with a TypeError naming it', () => {
    expect(() => mysqlCheck(null as never)).toThrow(TypeError)
    expect(() => mysqlCheck({} as never)).toThrow(
      'mysqlCheck(): expected `target` to be `{ pool }`, `{ connection }` or `{ uri }`, got an object',
    )
    expect(() => mysqlCheck({ pool: {} as never })).toThrow(
      'mysqlCheck(): expected `pool` to be a mysql2 Pool',
    )
    expect(() => mysqlCheck({ connection: {} as never })).toThrow(
      'mysqlCheck(): expected `connection` to be a mysql2 Connection',
    )
    expect(() => mysqlCheck({ uri: '' })).toThrow('`uri`')
    expect(() => mysqlCheck({ uri: MYSQL_URL }, { saturation: 'panic' as never })).toThrow(
      `mysqlCheck(): expected \`saturation\` to be one of 'warn', 'fail', 'ignore', got the string "panic"`,
    )
    expect(() => mysqlCheck({ uri: MYSQL_URL }, { timeout: 5 } as never)).toThrow(
      /^mysqlCheck\(\): unknown option `timeout`; did you mean `timeoutMs`\?/,
    )
  })

  test('defaults: name mysql, componentType datastore; check options pass through', () => {
    const pool = appPool(MYSQL_URL)
    expect(mysqlCheck({ pool })).toMatchObject({ name: 'mysql', componentType: 'datastore', critical: true })
    expect(mysqlCheck({ pool }, { name: 'orders-db', timeoutMs: 300, critical: false })).toMatchObject({
      name: 'orders-db',
      timeoutMs: 300,
      critical: false,
    })
  })
})

describe('mysqlCheck({ pool })', () => {
  test('promise pool: passes with the round-trip time and the pool numbers, and hands the connection back', async () => {
    const pool = appPool(MYSQL_URL, 4)
    const result = await run(mysqlCheck({ pool }))
    expect(result.ok).toBe(true)
    const outcome = (result.ok ? result.value : undefined) as CheckOutcome
    expect(outcome).toMatchObject({ observedUnit: 'ms', observedValue: expect.any(Number) })
    expect(outcome.measurements?.connections?.observedValue).toEqual({
      total: 1,
      idle: 1,
      waiting: 0,
      max: 4,
    })
    const [rows] = await pool.query('SELECT 2 AS two')
    expect((rows as Array<{ two: number }>)[0]?.two).toBe(2)
  })

  test('callback pool: passes too', async () => {
    const pool = later(
      mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 }),
      (p) => new Promise((r) => p.end(r)),
    )
    expect(await run(mysqlCheck({ pool }))).toMatchObject({ ok: true })
  })

  test('saturated pool: warn with the numbers, without queueing a ping', async () => {
    const { proxy, url } = await proxied()
    const pool = appPool(url, 2)
    const held = [await pool.getConnection(), await pool.getConnection()]
    later(held, (connections) => {
      for (const connection of connections) connection.release()
    })
    const bytesBefore = proxy.stats.bytesIn
    const result = await run(mysqlCheck({ pool }))
    const outcome = (result.ok ? result.value : undefined) as CheckOutcome
    expect(outcome.status).toBe('warn')
    expect(outcome.output).toBe(
      'pool saturated: 2 of 2 connections in use by the application, 0 idle, 0 waiting; not queueing a health ping behind them',
    )
    expect(outcome.measurements?.connections?.observedValue).toEqual({
      total: 2,
      idle: 0,
      waiting: 0,
      max: 2,
    })
    expect(proxy.stats.bytesIn).toBe(bytesBefore)
    const failing = await run(mysqlCheck({ pool }, { saturation: 'fail' }))
    expect(message(failing)).toMatch(/^pool saturated: 2 of 2 connections/)
    held.pop()?.release()
    expect(await run(mysqlCheck({ pool }))).toMatchObject({ ok: true, value: { observedUnit: 'ms' } })
  })

  test('black-holed while opening a connection: settles at the deadline and frees the pool slot', async () => {
    const { proxy, url } = await proxied()
    const pool = appPool(url, 2)
    proxy.setMode('blackhole')
    const result = await run(mysqlCheck({ pool }), 200)
    expect(message(result)).toBe('timed out after 200 ms')
    expect(result.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    await waitFor(() => openConnections(pool) === 0 && proxy.stats.activeConnections === 0, 1000)
    proxy.setMode('pass')
    expect(await run(mysqlCheck({ pool }))).toMatchObject({ ok: true })
  })

  test('black-holed on an idle connection: the hung ping is cut off and its connection destroyed', async () => {
    const { proxy, url } = await proxied()
    const pool = appPool(url, 2)
    await pool.query('SELECT 1')
    proxy.setMode('blackhole')
    const result = await run(mysqlCheck({ pool }), 200)
    expect(message(result)).toBe('timed out after 200 ms')
    expect(result.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    await waitFor(() => openConnections(pool) === 0 && proxy.stats.activeConnections === 0, 1000)
    proxy.setMode('pass')
    expect(await run(mysqlCheck({ pool }))).toMatchObject({ ok: true })
  })

  test('reset mid-reply fails the check, not the process, and the pool recovers', async () => {
    const { proxy, url } = await proxied()
    const pool = appPool(url, 2)
    await pool.query('SELECT 1')
    proxy.setMode('latency', { latencyMs: 300 })
    const pending = run(mysqlCheck({ pool }), 2000)
    await sleep(100)
    proxy.setMode('reset')
    const result = await pending
    expect(message(result)).toMatch(/^ping failed: /)
    expect(result.ms).toBeLessThan(1000)
    proxy.setMode('pass')
    expect(await run(mysqlCheck({ pool }))).toMatchObject({ ok: true })
  })

  test('slow server: passes under the deadline, fails at it', async () => {
    const { proxy, url } = await proxied()
    const pool = appPool(url, 2)
    await pool.query('SELECT 1')
    proxy.setMode('latency', { latencyMs: 50 })
    const slow = await run(mysqlCheck({ pool }), 500)
    expect(slow).toMatchObject({ ok: true })
    expect((slow.ok ? slow.value : undefined) as CheckOutcome).toMatchObject({
      observedValue: expect.any(Number),
    })
    expect(((slow.ok ? slow.value : {}) as CheckOutcome).observedValue).toBeGreaterThanOrEqual(90)
    proxy.setMode('latency', { latencyMs: 400 })
    const tooSlow = await run(mysqlCheck({ pool }), 300)
    expect(message(tooSlow)).toBe('timed out after 300 ms')
    // The deadline (300 ms) bounds it: no hang. The margin holds on a busy machine (quiet runs answer within 75 ms of it).
    expect(tooSlow.ms).toBeLessThan(300 + 700)
  })
})

describe('mysqlCheck({ connection })', () => {
  test('passes, never ends the application connection, and never stacks pings on a hung one', async () => {
    const { proxy, url } = await proxied()
    const connection = later(await mysqlPromise.createConnection(url), (c) => c.destroy())
    connection.on('error', () => {})
    const definition = mysqlCheck({ connection })
    expect(await run(definition)).toMatchObject({ ok: true, value: { observedUnit: 'ms' } })
    await definition.close()
    proxy.setMode('blackhole')
    const first = await run(definition, 200)
    expect(message(first)).toBe('timed out after 200 ms')
    expect(first.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    const bytesBefore = proxy.stats.bytesIn
    const second = await run(definition, 200)
    expect(message(second)).toMatch(/^previous health ping still unanswered after \d+ ms$/)
    expect(proxy.stats.bytesIn).toBe(bytesBefore)
    proxy.setMode('pass')
    await sleep(100)
    expect(await run(definition)).toMatchObject({ ok: true })
    const [rows] = await connection.query('SELECT 3 AS three')
    expect((rows as Array<{ three: number }>)[0]?.three).toBe(3)
  })
})

describe('mysqlCheck({ uri })', () => {
  test('opens one connection lazily, reuses it, and health.close() ends it', async () => {
    const { proxy, url } = await proxied()
    const health = later(createHealth({ checks: [mysqlCheck({ uri: url }, { cacheTtlMs: 1 })] }), (h) =>
      h.close(),
    )
    expect(proxy.stats.connections).toBe(0)
    for (let i = 0; i < 3; i++) {
      expect((await health.evaluate()).status).toBe('pass')
      await sleep(5)
    }
    expect(proxy.stats.connections).toBe(1)
    expect(proxy.stats.activeConnections).toBe(1)
    await health.close()
    await waitFor(() => proxy.stats.activeConnections === 0, 1000)
  })

  test('unknown database: a clear output with the error code', async () => {
    const database = `missing_${uniqueSuffix().replace(/\W/g, '_')}`
    const url = new URL(MYSQL_URL)
    url.pathname = `/${database}`
    const definition = later(mysqlCheck({ uri: url.toString() }), (d) => d.close())
    expect(message(await run(definition))).toBe(
      `cannot connect: Unknown database '${database}' (ER_BAD_DB_ERROR)`,
    )
  })

  test('a password in the URL never shows, refused or rejected', async () => {
    const port = await closedPort()
    const refused = later(mysqlCheck({ uri: `mysql://app:s3cret-pw@127.0.0.1:${port}/test` }), (d) =>
      d.close(),
    )
    const result = await run(refused)
    expect(message(result)).toBe(`cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`)
    const url = new URL(MYSQL_URL)
    url.username = 'no_such_user'
    url.password = 's3cret-pw'
    const health = later(createHealth({ checks: [mysqlCheck({ uri: url.toString() })] }), (h) => h.close())
    const report = await health.evaluate()
    expect(report.status).toBe('fail')
    const shown = JSON.stringify([result, report])
    expect(shown).toContain('ER_ACCESS_DENIED_ERROR')
    expect(shown).not.toContain('s3cret-pw')
  })

  test('black-holed: fails within its deadline, at most one connection attempt per TTL over 3 s, recovers', async () => {
    const { proxy, url } = await proxied()
    const definition = later(mysqlCheck({ uri: url }), (d) => d.close())
    expect(await run(definition)).toMatchObject({ ok: true })
    const probe = await probeBlackHole(definition, proxy, { timeoutMs: 300, cacheTtlMs: 1000 })
    expect(probe.statuses).toEqual(['fail'])
    // The deadline (300 ms) bounds it: no hang. The margin holds on a busy machine (quiet runs answer within 75 ms of it).
    expect(probe.slowestMs).toBeLessThan(300 + 700)
    expect(probe.evaluations).toBeGreaterThan(10)
    // 3 s at one run per 1 s TTL: the first run reuses the open connection, later ones open one each.
    expect(probe.connections).toBeLessThanOrEqual(3)
    await waitFor(() => proxy.stats.activeConnections === 0, 1000)
    proxy.setMode('pass')
    expect(await run(definition)).toMatchObject({ ok: true })
  })

  test('database restarted (connections reset): fails, then recovers on a new connection', async () => {
    const { proxy, url } = await proxied()
    const definition = later(mysqlCheck({ uri: url }), (d) => d.close())
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('reset')
    expect(message(await run(definition))).toMatch(/^(ping failed|cannot connect): /)
    proxy.setMode('pass')
    expect(await run(definition)).toMatchObject({ ok: true })
  })
})
