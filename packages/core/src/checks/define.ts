import { describeValue } from '../sanitize.js'
import type { CheckDefinition, CheckFunction, CheckOptions } from '../types.js'
import { baseDefinition, COMMON_KEYS, checkName, readOptions } from './common.js'

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
  const checked = checkName(name, '')
  if (typeof check !== 'function') {
    throw new TypeError(`Expected \`check\` to be a function, got ${describeValue(check)}`)
  }
  const opts = readOptions('defineCheck', options, KEYS)
  if (opts.close !== undefined && typeof opts.close !== 'function') {
    throw new TypeError(`Expected \`close\` to be a function, got ${describeValue(opts.close)}`)
  }
  const base = baseDefinition(checked, opts, { critical: true, componentType: 'component' })
  const definition: CheckDefinition = { ...base, check }
  if (opts.close !== undefined) definition.close = opts.close as () => void | Promise<void>
  return definition
}
