// Transitional: the validators of the modules not yet moved to `optionReader` (primitives/options.ts), with
// their old message texts so that those modules and their tests keep working. Delete once nothing imports it.
import { describeValue } from './sanitize.js'

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value))

export function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${name}\` to be a positive number, got \`${show(value)}\``)
  }
  return value
}

export function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${show(value)}\``)
  }
  return value
}

export function optionalPositiveNumber(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : positiveNumber(name, value)
}

export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describeValue(value)}`)
  }
  return value
}

export function stringOption(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string')
    throw new TypeError(`Expected \`${name}\` to be a string, got ${describeValue(value)}`)
  return value
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value as T)) {
    throw new TypeError(
      `Expected \`${name}\` to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got \`${show(value)}\``,
    )
  }
  return value as T
}
