import { createHealth, queryCheck } from '@healthgate/core'
import mysqlPromise from 'mysql2/promise'
import pg from 'pg'
import { createFaultProxy } from '../support/fault-proxy.js'
import { runCheck as run } from '../support/run-check.js'
import { endpointOf, MYSQL_URL, PG_URL, withEndpoint } from '../support/services.js'
import { sleep } from '../support/wait.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('queryCheck on real clients', () => {
  test('a pg pool: passes, and a password in the URL never shows when the login is refused', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 })
    cleanups.push(() => pool.end())
    pool.on('error', () => {})
    expect(await run(queryCheck(() => pool.query('SELECT 1')))).toMatchObject({ ok: true })
    const url = new URL(PG_URL)
    url.username = 'no_such_role'
    url.password = 's3cret-pw'
    const denied = new pg.Pool({ connectionString: url.toString(), max: 1 })
    cleanups.push(() => denied.end())
    const health = createHealth({
      checks: [queryCheck(() => denied.query('SELECT 1'), { name: 'postgres' })],
    })
    cleanups.push(() => health.close())
    const report = await health.evaluate()
    expect(report.status).toBe('fail')
    expect(JSON.stringify(report)).toContain('role \\"no_such_role\\" does not exist')
    expect(JSON.stringify(report)).not.toContain('s3cret-pw')
  })

  test('a mysql2 pool black-holed: fails at the deadline, holds one query, recovers when the server answers', async () => {
    const proxy = await createFaultProxy({ target: endpointOf(MYSQL_URL, 3306) })
    cleanups.push(() => proxy.close())
    const pool = mysqlPromise.createPool({ uri: withEndpoint(MYSQL_URL, proxy), connectionLimit: 2 })
    cleanups.push(() => pool.end().catch(() => {}))
    const definition = queryCheck(() => pool.query('SELECT 1'), { name: 'mysql' })
    expect(await run(definition)).toMatchObject({ ok: true })
    proxy.setMode('blackhole')
    const hung = await run(definition, 200)
    expect(hung.ok ? '' : hung.error.message).toBe('timed out after 200 ms')
    expect(hung.ms).toBeLessThan(200 + 700) // the deadline, with a margin a busy machine holds
    const bytesBefore = proxy.stats.bytesIn
    const connectionsBefore = proxy.stats.connections
    for (let i = 0; i < 5; i++) {
      const again = await run(definition, 200)
      expect(again.ok ? '' : again.error.message).toMatch(
        /^previous health query still unanswered after \d+ ms$/,
      )
    }
    expect(proxy.stats.bytesIn).toBe(bytesBefore)
    expect(proxy.stats.connections).toBe(connectionsBefore)
    proxy.setMode('pass')
    await sleep(100)
    expect(await run(definition)).toMatchObject({ ok: true })
  })
})
