import type { CheckOutcome } from '@healthgate/core'
import { pgCheck } from '@healthgate/pg'
import pg from 'pg'
import { cleanupRegistry } from '../support/cleanup.js'
import { proxiedService } from '../support/fault-proxy.js'
import { closedPort } from '../support/ports.js'
import { runCheck as run } from '../support/run-check.js'
import { PG_URL, uniqueSuffix } from '../support/services.js'
import { sleep, waitFor } from '../support/wait.js'

const later = cleanupRegistry()
const proxied = () => proxiedService(later, PG_URL, 5432)

function appPool(url: string, max = 10): pg.Pool {
  const pool = later(new pg.Pool({ connectionString: url, max }), (p) => p.end())
  // The application's own handler for errors of idle clients (a pool without one crashes the process).
  pool.on('error', () => {})
  return pool
}

describe('pgCheck({ pool })', () => {
  test('passes with the round-trip time and the pool numbers, and hands the connection back', async () => {
    const pool = appPool(PG_URL, 4)
    const result = await run(pgCheck({ pool }))
    expect(result.ok).toBe(true)
    const outcome = (result.ok ? result.value : undefined) as CheckOutcome
    expect(outcome.observedUnit).toBe('ms')
    expect(outcome.observedValue).toEqual(expect.any(Number))
    expect(outcome.measurements?.connections?.observedValue).toEqual({
      total: 1,
      idle: 1,
      waiting: 0,
      max: 4,
    })
    expect(pool.totalCount).toBe(1)
    expect(pool.idleCount).toBe(1)
    expect((await pool.query('SELECT 2 AS two')).rows[0].two).toBe(2)
  })

  test('runs the configured query and reports its error with the SQLSTATE', async () => {
    const pool = appPool(PG_URL)
    const result = await run(pgCheck({ pool }, { query: 'SELECT 1/0' }))
    expect(result.ok).toBe(false)
    expect(result.ok ? '' : result.error.message).toBe('query failed: division by zero (SQLSTATE 22012)')
    // The connection that failed is not handed back to the application.
    await waitFor(() => pool.totalCount === 0, 1000)
  })

  describe('saturated pool (both connections held by the application)', () => {
    async function saturated() {
      const { proxy, url } = await proxied()
      const pool = appPool(url, 2)
      const held = [await pool.connect(), await pool.connect()]
      later(held, (clients) => {
        for (const client of clients) client.release()
      })
      return { proxy, pool, held }
    }

    test('warn (default) reports the numbers without queueing a query', async () => {
      const { proxy, pool } = await saturated()
      const bytesBefore = proxy.stats.bytesIn
      const result = await run(pgCheck({ pool }))
      expect(result.ok).toBe(true)
      const outcome = (result.ok ? result.value : undefined) as CheckOutcome
      expect(outcome.status).toBe('warn')
      expect(outcome.output).toBe(
        'pool saturated: 2 of 2 connections in use by the application, 0 idle, 0 waiting; not queueing a health query behind them',
      )
      expect(outcome.measurements?.connections?.observedValue).toEqual({
        total: 2,
        idle: 0,
        waiting: 0,
        max: 2,
      })
      expect(result.ms).toBeLessThan(500) // at once, not at the 1,000 ms deadline
      expect(pool.waitingCount).toBe(0)
      expect(proxy.stats.bytesIn).toBe(bytesBefore)
    })

    test("'fail' fails with the numbers", async () => {
      const { pool } = await saturated()
      const result = await run(pgCheck({ pool }, { saturation: 'fail' }))
      expect(result.ok ? '' : result.error.message).toMatch(/^pool saturated: 2 of 2 connections in use/)
    })

    test("'ignore' waits for a connection until the deadline, then hands the late one back unharmed", async () => {
      const { pool, held } = await saturated()
      const result = await run(pgCheck({ pool }, { saturation: 'ignore' }), 200)
      expect(result.ok ? '' : result.error.message).toBe('timed out after 200 ms')
      expect(result.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
      expect(pool.waitingCount).toBe(1)
      held.pop()?.release()
      await waitFor(() => pool.idleCount === 1, 1000)
      expect(pool.totalCount).toBe(2)
      expect(pool.waitingCount).toBe(0)
    })

    test("'ignore': a late connection the check had used before is handed back too", async () => {
      const pool = appPool(PG_URL, 1)
      const definition = pgCheck({ pool }, { saturation: 'ignore' })
      expect(await run(definition)).toMatchObject({ ok: true })
      const app = await pool.connect()
      const late = await run(definition, 100)
      expect(late.ok ? '' : late.error.message).toBe('timed out after 100 ms')
      app.release()
      await waitFor(() => pool.idleCount === 1, 1000)
      expect(pool.totalCount).toBe(1)
      expect(await run(definition)).toMatchObject({ ok: true })
    })

    test('passes again once the application releases a connection', async () => {
      const { pool, held } = await saturated()
      held.pop()?.release()
      const result = await run(pgCheck({ pool }))
      expect(result.ok && (result.value as CheckOutcome).status).toBeUndefined()
    })
  })

  test('black-holed while opening a connection: settles at the deadline and frees the pool slot', async () => {
    const { proxy, url } = await proxied()
    const pool = appPool(url, 2)
    proxy.setMode('blackhole')
    const result = await run(pgCheck({ pool }), 200)
    expect(result.ok ? '' : result.error.message).toBe('timed out after 200 ms')
    expect(result.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    await waitFor(() => pool.totalCount === 0 && proxy.stats.activeConnections === 0, 1000)
    proxy.setMode('pass')
    expect(await run(pgCheck({ pool }))).toMatchObject({ ok: true })
  })

  test('black-holed on an idle connection: the hung query is cut off and its connection destroyed', async () => {
    const { proxy, url } = await proxied()
    const pool = appPool(url, 2)
    await pool.query('SELECT 1')
    expect(pool.idleCount).toBe(1)
    proxy.setMode('blackhole')
    const result = await run(pgCheck({ pool }), 200)
    expect(result.ok ? '' : result.error.message).toBe('timed out after 200 ms')
    expect(result.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    await waitFor(() => pool.totalCount === 0 && proxy.stats.activeConnections === 0, 1000)
    proxy.setMode('pass')
    expect(await run(pgCheck({ pool }))).toMatchObject({ ok: true })
  })

  test('a connection reset while the check holds the client fails the check, not the process', async () => {
    const { proxy, url } = await proxied()
    const pool = appPool(url, 2)
    await pool.query('SELECT 1')
    proxy.setMode('latency', { latencyMs: 300 })
    const pending = run(pgCheck({ pool }), 2000)
    await sleep(100)
    proxy.setMode('reset')
    const result = await pending
    expect(result.ok ? '' : result.error.message).toMatch(
      /^query failed: (read ECONNRESET|Connection terminated unexpectedly)/,
    )
    expect(result.ms).toBeLessThan(1000)
    await waitFor(() => pool.totalCount === 0, 1000)
  })
})

describe('pgCheck({ client })', () => {
  test('passes and never ends the application client', async () => {
    const client = later(new pg.Client({ connectionString: PG_URL }), (c) => c.end())
    await client.connect()
    const definition = pgCheck({ client })
    expect(await run(definition)).toMatchObject({ ok: true, value: { observedUnit: 'ms' } })
    await definition.close()
    expect((await client.query('SELECT 3 AS three')).rows[0].three).toBe(3)
  })

  test('black-holed: settles at the deadline, sends no second query while the first is unanswered, recovers', async () => {
    const { proxy, url } = await proxied()
    const client = later(new pg.Client({ connectionString: url }), (c) => c.end())
    client.on('error', () => {})
    await client.connect()
    const definition = pgCheck({ client })
    proxy.setMode('blackhole')
    const first = await run(definition, 200)
    expect(first.ok ? '' : first.error.message).toBe('timed out after 200 ms')
    expect(first.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    const bytesBefore = proxy.stats.bytesIn
    const second = await run(definition, 1000)
    expect(second.ok ? '' : second.error.message).toMatch(
      /^previous health query still unanswered after \d+ ms$/,
    )
    expect(second.ms).toBeLessThan(500) // at once, not at the 1,000 ms deadline
    expect(proxy.stats.bytesIn).toBe(bytesBefore)
    // The partition heals: the held query is answered and the client, never destroyed, works again.
    proxy.setMode('pass')
    await sleep(100)
    expect(await run(definition)).toMatchObject({ ok: true })
    expect((await client.query('SELECT 4 AS four')).rows[0].four).toBe(4)
  })
})

describe('pgCheck({ connectionString })', () => {
  test('opens one connection lazily, reuses it, and ends it in close()', async () => {
    const { proxy, url } = await proxied()
    const definition = later(pgCheck({ connectionString: url }), (d) => d.close())
    expect(proxy.stats.connections).toBe(0)
    for (let i = 0; i < 3; i++) expect(await run(definition)).toMatchObject({ ok: true })
    expect(proxy.stats.connections).toBe(1)
    expect(proxy.stats.activeConnections).toBe(1)
    await definition.close()
    await waitFor(() => proxy.stats.activeConnections === 0, 1000)
    await definition.close()
    expect(await run(definition)).toMatchObject({ ok: false, error: { message: 'check closed' } })
  })

  test('unknown database: a clear output with the SQLSTATE', async () => {
    const database = `missing_${uniqueSuffix().replace(/\W/g, '_')}`
    const url = new URL(PG_URL)
    url.pathname = `/${database}`
    const definition = later(pgCheck({ connectionString: url.toString() }), (d) => d.close())
    const result = await run(definition)
    expect(result.ok ? '' : result.error.message).toBe(
      `cannot connect: database "${database}" does not exist (SQLSTATE 3D000)`,
    )
  })

  test('unknown role: a clear output with the SQLSTATE', async () => {
    const url = new URL(PG_URL)
    url.username = 'no_such_role'
    const definition = later(pgCheck({ connectionString: url.toString() }), (d) => d.close())
    const result = await run(definition)
    expect(result.ok ? '' : result.error.message).toBe(
      'cannot connect: role "no_such_role" does not exist (SQLSTATE 28000)',
    )
  })

  test('refused connection: names the address, never the password', async () => {
    const port = await closedPort()
    const definition = later(
      pgCheck({ connectionString: `postgres://app:s3cret-pw@127.0.0.1:${port}/test` }),
      (d) => d.close(),
    )
    const result = await run(definition)
    expect(result.ok ? '' : result.error.message).toBe(
      `cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`,
    )
    expect(JSON.stringify(result)).not.toContain('s3cret-pw')
  })

  test('black-holed: settles at the deadline, drops the connection, reconnects once the server answers', async () => {
    const { proxy, url } = await proxied()
    const definition = later(pgCheck({ connectionString: url }), (d) => d.close())
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('blackhole')
    const hung = await run(definition, 200)
    expect(hung.ok ? '' : hung.error.message).toBe('timed out after 200 ms')
    expect(hung.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    await waitFor(() => proxy.stats.activeConnections === 0, 1000)
    // A hung server never piles up connections: each run opens at most one, dropped at its deadline.
    for (let i = 0; i < 3; i++) await run(definition, 100)
    await waitFor(() => proxy.stats.activeConnections === 0, 1000)
    expect(proxy.stats.connections).toBe(4)
    proxy.setMode('pass')
    expect(await run(definition)).toMatchObject({ ok: true })
    expect(proxy.stats.connections).toBe(5)
  })

  test('database restarted (connections reset): fails, then recovers on a new connection', async () => {
    const { proxy, url } = await proxied()
    const definition = later(pgCheck({ connectionString: url }), (d) => d.close())
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('reset')
    const failed = await run(definition)
    expect(failed.ok).toBe(false)
    expect(failed.ok ? '' : failed.error.message).toMatch(/^(query failed|cannot connect): /)
    proxy.setMode('pass')
    expect(await run(definition)).toMatchObject({ ok: true })
  })
})
