import { CHECK_OPTION_KEYS, readCheckName, readCheckOptions } from '../primitives/check-options.js'
import { sleep } from '../primitives/deadline.js'
import type { OptionReader } from '../primitives/options.js'
import type { CheckDefinition, CheckOptions } from '../types.js'

/** The options every built-in check accepts: the common check overrides plus its `name`. */
export interface BuiltinCheckOptions extends CheckOptions {
  /** Unique check name: letters, digits, `.`, `_`, `-`. Default: depends on the check. */
  name?: string
}

export const COMMON_KEYS = CHECK_OPTION_KEYS

/** The check's name, or `fallback`; same rule as the runner. */
export const checkName = readCheckName

/** A fallback name derived from free text (a host name), reduced to the characters a name allows. */
export function nameFrom(text: string, fallback: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 128)
  return cleaned || fallback
}

interface CommonDefaults {
  critical: boolean
  componentType: string
  measurement?: string
}

/**
 * Validates the common check overrides and returns the definition without its `check`. Options left
 * out stay out, so the health's defaults apply to them.
 */
export function baseDefinition(
  read: OptionReader,
  name: string,
  options: Record<string, unknown>,
  defaults: CommonDefaults,
): Omit<CheckDefinition, 'check'> {
  return { name, ...readCheckOptions(read, options, defaults) }
}

/** A threshold that is a ratio in (0, 1], or `false` to turn it off. */
export function ratioThreshold(
  read: OptionReader,
  name: string,
  value: unknown,
  fallback: number | false,
): number | false {
  if (value === undefined) return fallback
  if (value === false) return false
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    return read.fail(name, 'a ratio greater than 0 and at most 1, or false', value)
  }
  return value
}

/** A threshold that is a positive number, or `false` to turn it off. */
export function positiveThreshold(
  read: OptionReader,
  name: string,
  value: unknown,
  fallback: number | false,
): number | false {
  if (value === undefined) return fallback
  if (value === false) return false
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    return read.fail(name, 'a positive number, or false', value)
  }
  return value
}

/** A warn threshold above its fail threshold would never be seen: say so instead of ignoring it. */
export function warnNotAboveFail(
  read: OptionReader,
  warnName: string,
  warn: number | false,
  failName: string,
  fail: number | false,
): void {
  if (warn !== false && fail !== false && warn > fail) {
    read.fail(warnName, `at most \`${failName}\` (${fail})`, warn)
  }
}

export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** A ratio as a percentage for observations: `0.1234` -> `12.34`. */
export const percent = (ratio: number): number => round(ratio * 100, 2)

export const formatPercent = (ratio: number): string => `${round(ratio * 100, 1)} %`

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

/** Below this span a measurement says more about the check itself than about the process. */
export const MIN_SPAN_MS = 100

export interface Sampler<S> {
  /** Takes the starting marks (and starts any monitor). */
  start(): void
  /** The statistics since the last `start()` or `reset()`, `spanMs` ago. */
  measure(spanMs: number): S
  /** Starts a new window. */
  reset(): void
  /** Releases what `start()` acquired. */
  stop(): void
}

export interface WindowReading<S> {
  stats: S
  spanMs: number
}

/**
 * Measures over tumbling windows of `windowMs`, started lazily: each reading covers the span since the
 * window began, and the first reading once a window is `windowMs` old closes it, so a spike stops
 * counting one window later instead of being diluted since startup. A first reading waits until the
 * window holds enough samples; a reading right after a reset repeats the window just closed.
 */
export class TumblingWindow<S> {
  readonly #windowMs: number
  readonly #minSpanMs: number
  readonly #sampler: Sampler<S>
  #startedAt: number | undefined
  #last: WindowReading<S> | undefined

  constructor(windowMs: number, sampler: Sampler<S>) {
    this.#windowMs = windowMs
    this.#minSpanMs = Math.min(MIN_SPAN_MS, windowMs)
    this.#sampler = sampler
  }

  get running(): boolean {
    return this.#startedAt !== undefined
  }

  begin(): void {
    if (this.#startedAt !== undefined) return
    this.#sampler.start()
    this.#startedAt = performance.now()
  }

  async read(signal: AbortSignal): Promise<WindowReading<S>> {
    this.begin()
    let spanMs = performance.now() - (this.#startedAt ?? 0)
    if (spanMs < this.#minSpanMs && this.#last === undefined) {
      await sleep(this.#minSpanMs - spanMs, { signal })
      if (this.#startedAt === undefined) throw new Error('the check was closed while it was sampling')
      spanMs = performance.now() - this.#startedAt
    }
    const reading =
      spanMs < this.#minSpanMs && this.#last !== undefined
        ? this.#last
        : { stats: this.#sampler.measure(spanMs), spanMs }
    if (spanMs >= this.#windowMs) {
      this.#last = reading
      this.#sampler.reset()
      this.#startedAt = performance.now()
    }
    return reading
  }

  stop(): void {
    if (this.#startedAt === undefined) return
    this.#startedAt = undefined
    this.#last = undefined
    this.#sampler.stop()
  }
}

export const formatSpan = (ms: number): string =>
  ms < 1000 ? `${Math.round(ms)} ms` : `${round(ms / 1000, 1)} s`
