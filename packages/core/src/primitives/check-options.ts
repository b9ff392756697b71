import { describeValue } from '../sanitize.js'
import type { CheckOptions, Probe } from '../types.js'
import type { OptionReader } from './options.js'

/**
 * The options every check factory accepts besides its own (the built-in checks, `pgCheck`, `redisCheck`):
 * list them with the factory's keys in `read.object(options, [...own, ...CHECK_OPTION_KEYS])`.
 */
export const CHECK_OPTION_KEYS = [
  'critical',
  'timeoutMs',
  'cacheTtlMs',
  'intervalMs',
  'tags',
  'failureThreshold',
  'successThreshold',
  'componentType',
  'componentId',
  'measurement',
] as const

// The runner's rule, repeated so that a bad name fails where the check is created.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const PROBES: readonly Probe[] = ['live', 'ready', 'startup']

/** A check name (`value`, or `fallback` when absent): 1-128 letters, digits, `.`, `_`, `-`. */
export function readCheckName(read: OptionReader, value: unknown, fallback: string): string {
  const name = value ?? fallback
  if (typeof name !== 'string' || !NAME.test(name)) {
    return read.fail('name', "1-128 letters, digits, '.', '_' or '-'", name)
  }
  return name
}

/** Per-factory defaults for the common check options. */
export interface CheckOptionDefaults {
  critical: boolean
  componentType: string
  measurement?: string
}

/**
 * Validates the common check options of `options` and returns them. Options left out stay out, so
 * that the health's defaults apply to them.
 */
export function readCheckOptions(
  read: OptionReader,
  options: Record<string, unknown>,
  defaults: CheckOptionDefaults,
): CheckOptions {
  const result: CheckOptions = {
    critical: read.boolean('critical', options.critical, defaults.critical),
    componentType: read.nonEmptyString('componentType', options.componentType) ?? defaults.componentType,
  }
  const measurement = read.nonEmptyString('measurement', options.measurement) ?? defaults.measurement
  if (measurement !== undefined) result.measurement = measurement
  const componentId = read.nonEmptyString('componentId', options.componentId)
  if (componentId !== undefined) result.componentId = componentId
  const timeoutMs = read.optionalPositiveNumber('timeoutMs', options.timeoutMs)
  if (timeoutMs !== undefined) result.timeoutMs = timeoutMs
  const cacheTtlMs = read.optionalPositiveNumber('cacheTtlMs', options.cacheTtlMs)
  if (cacheTtlMs !== undefined) result.cacheTtlMs = cacheTtlMs
  const intervalMs = read.optionalPositiveNumber('intervalMs', options.intervalMs)
  if (intervalMs !== undefined) result.intervalMs = intervalMs
  if (options.failureThreshold !== undefined) {
    result.failureThreshold = read.positiveInteger('failureThreshold', options.failureThreshold)
  }
  if (options.successThreshold !== undefined) {
    result.successThreshold = read.positiveInteger('successThreshold', options.successThreshold)
  }
  if (options.tags !== undefined) {
    const { tags } = options
    if (!Array.isArray(tags) || tags.some((tag) => !PROBES.includes(tag))) {
      const shown = Array.isArray(tags) ? JSON.stringify(tags) : describeValue(tags)
      throw new TypeError(
        `${read.owner}(): expected \`tags\` to be an array of 'live', 'ready', 'startup', got ${shown}`,
      )
    }
    result.tags = [...tags] as Probe[]
  }
  return result
}
