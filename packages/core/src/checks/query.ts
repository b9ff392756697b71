import { describeFailure, oneAtATime } from '../primitives/driver.js'
import { optionReader } from '../primitives/options.js'
import type { CheckDefinition } from '../types.js'
import { type BuiltinCheckOptions, baseDefinition, COMMON_KEYS, checkName } from './common.js'

/** A query that proves a database answers. It receives the run's signal; pass it on where the client takes one. */
export type HealthQuery = (signal: AbortSignal) => PromiseLike<unknown> | unknown

export interface QueryCheckOptions extends BuiltinCheckOptions {
  /** Default: `'database'`. */
  name?: string
  /** Default: `true`. */
  critical?: boolean
}

const KEYS = ['name', ...COMMON_KEYS]
const round = (ms: number): number => Math.round(ms * 100) / 100

/**
 * A check over any client's query (Knex, Drizzle, Prisma, TypeORM, ...): passes with the round-trip time
 * when `query` resolves, fails with its error otherwise. The check never opens or closes the client.
 *
 * At most one query is in flight: a query still unanswered at the deadline is left to finish (the client
 * is not ours to cancel), and until it settles, runs fail at once instead of queueing more queries behind it.
 *
 * ```ts
 * queryCheck(() => knex.raw('select 1'), { name: 'orders-db' })
 * ```
 */
export function queryCheck(query: HealthQuery, options: QueryCheckOptions = {}): CheckDefinition {
  const read = optionReader('queryCheck')
  if (typeof query !== 'function') read.fail('query', 'a function returning a promise', query)
  const opts = read.object(options, KEYS)
  const name = checkName(read, opts.name, 'database')
  const base = baseDefinition(read, name, opts, { critical: true, componentType: 'datastore' })
  const check = oneAtATime(
    async (signal) => {
      const started = performance.now()
      await query(signal)
      return { observedValue: round(performance.now() - started), observedUnit: 'ms' }
    },
    {
      busy: 'previous health query still unanswered',
      describe: (error) => describeFailure('query failed', error),
    },
  )

  return { ...base, check }
}
