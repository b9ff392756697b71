import { describeValue } from '../sanitize.js'
import { parseStatusMatcher, type StatusMatcher } from './status-matcher.js'

/**
 * The one way every healthgate factory, plugin and command checks its options. Every message has one
 * format, naming the function, the option and what was expected:
 *
 *     pgCheck(): unknown option `timeout`; did you mean `timeoutMs`? Known options: pool, client, …
 *     createHealth(): expected `defaultTimeoutMs` to be a positive number, got number -1
 */
export interface OptionReader {
  /** The function the options belong to, as shown in messages (e.g. `'pgCheck'`). */
  readonly owner: string
  /**
   * Checks that `options` is a plain object (or `undefined`, read as `{}`) holding only `keys`: a misspelt
   * option would otherwise fall back to its default without a word.
   */
  object(options: unknown, keys: readonly string[]): Record<string, unknown>
  /** Throws the `TypeError` for `option`, naming what was expected. */
  fail(option: string, expected: string, value: unknown): never
  /** A number above 0, else `fallback`; anything else throws naming the option. */
  positiveNumber(option: string, value: unknown, fallback?: number): number
  /** A number above 0, or `undefined` when absent; anything else throws naming the option. */
  optionalPositiveNumber(option: string, value: unknown): number | undefined
  /** A number of 0 or more, else `fallback`; anything else throws naming the option. */
  nonNegativeNumber(option: string, value: unknown, fallback?: number): number
  /** An integer above 0, else `fallback`; anything else throws naming the option. */
  positiveInteger(option: string, value: unknown, fallback?: number): number
  /** A boolean, else `fallback`; anything else throws naming the option. */
  boolean(option: string, value: unknown, fallback: boolean): boolean
  /** A string, or `undefined` when absent; anything else throws naming the option. */
  string(option: string, value: unknown): string | undefined
  /** A non-empty string, or `undefined` when absent; anything else throws naming the option. */
  nonEmptyString(option: string, value: unknown): string | undefined
  /** One of `allowed`, else `fallback`; anything else throws naming the option and the allowed values. */
  oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T
  /**
   * A function, or `undefined` when absent; anything else throws naming the option.
   * @typeParam F - the function type the caller expects.
   */
  func<F extends (...args: never[]) => unknown>(option: string, value: unknown): F | undefined
  /** A ratio in (0, 1]. */
  ratio(option: string, value: unknown, fallback?: number): number
  /** A status matcher read with `parseStatusMatcher` (codes, `2xx` classes, ranges, lists). */
  statusMatcher(option: string, value: unknown, fallback: string): StatusMatcher
}

/** Creates the option reader of one function; its name appears in every message as `name()`. */
export function optionReader(owner: string): OptionReader {
  const prefix = owner.includes(' ') || owner.startsWith('-') ? `${owner}:` : `${owner}():`
  const fail = (option: string, expected: string, value: unknown): never => {
    throw new TypeError(`${prefix} expected \`${option}\` to be ${expected}, got ${describeValue(value)}`)
  }
  const positiveNumber = (option: string, value: unknown, fallback?: number): number => {
    const v = value === undefined ? fallback : value
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) return fail(option, 'a positive number', v)
    return v
  }
  const string = (option: string, value: unknown): string | undefined => {
    if (value === undefined) return undefined
    if (typeof value !== 'string') return fail(option, 'a string', value)
    return value
  }
  return {
    owner,
    fail,
    object(options, keys) {
      if (options === undefined) return {}
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw new TypeError(`${prefix} expected the options to be an object, got ${describeValue(options)}`)
      }
      for (const key of Object.keys(options)) {
        if (!keys.includes(key)) throw new TypeError(unknownOptionMessage(prefix, key, keys))
      }
      return options as Record<string, unknown>
    },
    positiveNumber,
    optionalPositiveNumber: (option, value) =>
      value === undefined ? undefined : positiveNumber(option, value),
    nonNegativeNumber(option, value, fallback) {
      const v = value === undefined ? fallback : value
      if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) {
        return fail(option, 'a number of at least 0', v)
      }
      return v
    },
    positiveInteger(option, value, fallback) {
      const v = value === undefined ? fallback : value
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return fail(option, 'a positive integer', v)
      return v
    },
    boolean(option, value, fallback) {
      if (value === undefined) return fallback
      if (typeof value !== 'boolean') return fail(option, 'a boolean', value)
      return value
    },
    string,
    nonEmptyString(option, value) {
      const text = string(option, value)
      if (text === '') return fail(option, 'a non-empty string', text)
      return text
    },
    oneOf(option, value, allowed, fallback) {
      if (value === undefined) return fallback
      if (!allowed.includes(value as never)) {
        return fail(option, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value)
      }
      return value as (typeof allowed)[number]
    },
    func<F>(option: string, value: unknown) {
      if (value === undefined) return undefined
      if (typeof value !== 'function') return fail(option, 'a function', value)
      return value as F
    },
    ratio(option, value, fallback) {
      const v = value === undefined ? fallback : value
      if (typeof v !== 'number' || !(v > 0 && v <= 1))
        return fail(option, 'a ratio greater than 0 and at most 1', v)
      return v
    },
    statusMatcher(option, value, fallback) {
      try {
        return parseStatusMatcher((value === undefined ? fallback : value) as string, option)
      } catch (error) {
        // The grammar's own message ("Expected `expect` to be ..."), given this function's prefix.
        const message = (error as Error).message
        throw new TypeError(`${prefix} ${message.charAt(0).toLowerCase()}${message.slice(1)}`)
      }
    },
  }
}

/**
 * The message for an unknown option or flag, with a suggestion when a known one is close. An empty
 * `prefix` leaves the message bare, for callers that print their own (the CLI's `healthgate probe:`).
 */
export function unknownOptionMessage(prefix: string, key: string, known: readonly string[]): string {
  const suggestion = closest(key, known)
  const hint = suggestion === undefined ? '' : `; did you mean \`${suggestion}\`?`
  const list = known.length > 0 ? `${hint ? ' ' : '; '}Known options: ${known.join(', ')}` : ''
  return `${prefix ? `${prefix} ` : ''}unknown option \`${key}\`${hint}${list}`
}

/**
 * The known name closest to `name`: same letters ignoring case and separators, a prefix or suffix of it
 * (`timeout` for `timeoutMs`, `token` for `adminToken`), or within an edit distance of a third of its length (at least 2).
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  const fold = (text: string) => text.toLowerCase().replace(/[-_]/g, '')
  const target = fold(name)
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    const folded = fold(candidate)
    if (folded === target) return candidate
    const distance =
      target.length >= 3 &&
      (folded.startsWith(target) || folded.endsWith(target) || target.startsWith(folded))
        ? 1
        : editDistance(target, folded)
    if (distance < bestDistance) {
      bestDistance = distance
      best = candidate
    }
  }
  return bestDistance <= Math.max(2, Math.floor(target.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      )
    }
    previous = current
  }
  return previous[b.length] as number
}
