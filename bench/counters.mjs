// Dependency round trips counted where they land: at the PostgreSQL and Redis servers, not in the app.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'

/** Calls of PING since the Redis server started (`INFO commandstats`). */
export async function redisPings(redis) {
  const info = await redis.info('commandstats')
  const match = /^cmdstat_ping:calls=(\d+)/m.exec(info)
  return match ? Number(match[1]) : 0
}

/**
 * Committed transactions of the benchmark database (`pg_stat_database.xact_commit`): one per autocommit
 * `SELECT 1`. Read over a connection of its own that ends at once, because a backend publishes its
 * counters when it goes idle (rate-limited) or exits; exiting is the only prompt, predictable moment.
 */
export async function pgCommits(connectionString) {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    const { rows } = await client.query(
      'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()',
    )
    return Number(rows[0]?.n ?? 0)
  } finally {
    await client.end()
  }
}

/** Time for backends that just exited to have published their counters. */
export const SETTLE_MS = 500

/**
 * How many commits one `pgCommits()` read itself adds (its own query, and whatever its connection's
 * start-up commits), measured on a quiet server so that it can be subtracted from every delta.
 */
export async function pgReadCost(connectionString) {
  const first = await pgCommits(connectionString)
  await sleep(SETTLE_MS)
  await pgCommits(connectionString)
  await sleep(SETTLE_MS)
  const third = await pgCommits(connectionString)
  return Math.max(0, Math.round((third - first) / 2))
}
