import { optionReader } from '../primitives/options.js'
import type { CheckDefinition, CheckFunction, CheckOptions } from '../types.js'
import { baseDefinition, COMMON_KEYS, checkName } from './common.js'

/** Options of `defineCheck`: a name, the check function and every common check option. */
export interface DefineCheckOptions extends CheckOptions {
  /** Releases what the check owns; called by `health.remove()` and `health.close()`. Default: none. */
  close?: () => void | Promise<void>
}

const KEYS = [...COMMON_KEYS, 'close']

/**
 * Validates and assembles a custom check. Equivalent to writing `{ name, check, ...options }` by hand,
 * except that a bad name or option throws here, where the check is defined. Critical by default.
 *
 * ```ts
 * defineCheck('queue', async (signal) => {
 *   const depth = await queue.depth({ signal })
 *   if (depth > 10_000) throw new Error(`queue depth ${depth}`)
 *   return { observedValue: depth, measurement: 'depth' }
 * }, { critical: false })
 * ```
 */
export function defineCheck(
  name: string,
  check: CheckFunction,
  options: DefineCheckOptions = {},
): CheckDefinition {
  const read = optionReader('defineCheck')
  const checked = checkName(read, name, '')
  if (typeof check !== 'function') read.fail('check', 'a function', check)
  const opts = read.object(options, KEYS)
  const close = read.func<() => void | Promise<void>>('close', opts.close)
  const base = baseDefinition(read, checked, opts, { critical: true, componentType: 'component' })
  const definition: CheckDefinition = { ...base, check }
  if (close !== undefined) definition.close = close
  return definition
}
