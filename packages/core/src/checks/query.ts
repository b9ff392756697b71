import { abortReason, untilAborted } from '../primitives/deadline.js'
import { optionReader } from '../primitives/options.js'
import { sanitizeOutput } from '../sanitize.js'
import type { CheckDefinition, CheckOutcome } from '../types.js'
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
  let outstandingSince: number | undefined

  const check = async (signal: AbortSignal): Promise<CheckOutcome> => {
    if (signal.aborted) throw abortReason(signal)
    if (outstandingSince !== undefined) {
      const waited = Math.round(performance.now() - outstandingSince)
      throw new Error(`previous health query still unanswered after ${waited} ms`)
    }
    const started = performance.now()
    let running: Promise<unknown>
    try {
      running = Promise.resolve(query(signal))
    } catch (error) {
      throw describeFailure(error)
    }
    outstandingSince = started
    const clear = (): void => {
      if (outstandingSince === started) outstandingSince = undefined
    }
    running.then(clear, clear)
    try {
      await untilAborted(running, signal)
    } catch (error) {
      if (signal.aborted) throw abortReason(signal)
      throw describeFailure(error)
    }
    return { observedValue: round(performance.now() - started), observedUnit: 'ms' }
  }

  return { ...base, check }
}

/** The driver's message (credentials removed) and its error code when it has a short one (SQLSTATE, ER_...). */
function describeFailure(error: unknown): Error {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  const suffix = typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? ` (${code})` : ''
  return new Error(`query failed: ${sanitizeOutput(error)}${suffix}`, { cause: error })
}
