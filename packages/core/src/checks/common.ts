import { describeValue } from '../sanitize.js'
import type { CheckDefinition, CheckOptions, Probe } from '../types.js'
import { booleanOption, optionalPositiveNumber, positiveInteger, stringOption } from '../validate.js'

/** The options every built-in check accepts: the common check overrides plus its `name`. */
export interface BuiltinCheckOptions extends CheckOptions {
  /** Unique check name: letters, digits, `.`, `_`, `-`. Default: depends on the check. */
  name?: string
}

// Same rule as the runner, repeated so that a bad name fails where the check is created.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const PROBES: readonly Probe[] = ['live', 'ready', 'startup']

export const COMMON_KEYS = [
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

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value))

/**
 * Checks that `options` is an object (or absent) without unknown keys: a misspelt threshold would
 * otherwise silently fall back to its default.
 */
export function readOptions(
  factory: string,
  options: unknown,
  keys: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Expected the options of ${factory}() to be an object, got ${describeValue(options)}`)
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new TypeError(
        `Unknown option \`${key}\` passed to ${factory}(); expected one of ${keys.join(', ')}`,
      )
    }
  }
  return options as Record<string, unknown>
}

export function checkName(value: unknown, fallback: string): string {
  const name = value ?? fallback
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(
      `Expected \`name\` to be 1-128 letters, digits, '.', '_' or '-', got ${describeValue(name)}`,
    )
  }
  return name
}

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
  name: string,
  options: Record<string, unknown>,
  defaults: CommonDefaults,
): Omit<CheckDefinition, 'check'> {
  const definition: Omit<CheckDefinition, 'check'> = {
    name,
    critical: booleanOption('critical', options.critical, defaults.critical),
    componentType: nonEmptyString('componentType', options.componentType) ?? defaults.componentType,
  }
  const measurement = nonEmptyString('measurement', options.measurement) ?? defaults.measurement
  if (measurement !== undefined) definition.measurement = measurement
  const componentId = nonEmptyString('componentId', options.componentId)
  if (componentId !== undefined) definition.componentId = componentId
  const timeoutMs = optionalPositiveNumber('timeoutMs', options.timeoutMs)
  if (timeoutMs !== undefined) definition.timeoutMs = timeoutMs
  const cacheTtlMs = optionalPositiveNumber('cacheTtlMs', options.cacheTtlMs)
  if (cacheTtlMs !== undefined) definition.cacheTtlMs = cacheTtlMs
  const intervalMs = optionalPositiveNumber('intervalMs', options.intervalMs)
  if (intervalMs !== undefined) definition.intervalMs = intervalMs
  if (options.failureThreshold !== undefined) {
    definition.failureThreshold = positiveInteger('failureThreshold', options.failureThreshold)
  }
  if (options.successThreshold !== undefined) {
    definition.successThreshold = positiveInteger('successThreshold', options.successThreshold)
  }
  if (options.tags !== undefined) {
    const { tags } = options
    if (!Array.isArray(tags) || tags.some((tag) => !PROBES.includes(tag))) {
      throw new TypeError(
        `Expected \`tags\` to be an array of 'live', 'ready', 'startup', got ${Array.isArray(tags) ? JSON.stringify(tags) : describeValue(tags)}`,
      )
    }
    definition.tags = [...tags] as Probe[]
  }
  return definition
}

export function nonEmptyString(name: string, value: unknown): string | undefined {
  const text = stringOption(name, value)
  if (text === '') throw new TypeError(`Expected \`${name}\` to be a non-empty string, got \`""\``)
  return text
}

/** A threshold that is a ratio in (0, 1], or `false` to turn it off. */
export function ratioThreshold(name: string, value: unknown, fallback: number | false): number | false {
  if (value === undefined) return fallback
  if (value === false) return false
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new TypeError(
      `Expected \`${name}\` to be a ratio greater than 0 and at most 1, or false, got \`${show(value)}\``,
    )
  }
  return value
}

/** A threshold that is a positive number, or `false` to turn it off. */
export function positiveThreshold(name: string, value: unknown, fallback: number | false): number | false {
  if (value === undefined) return fallback
  if (value === false) return false
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${name}\` to be a positive number, or false, got \`${show(value)}\``)
  }
  return value
}

/** A warn threshold above its fail threshold would never be seen: say so instead of ignoring it. */
export function warnNotAboveFail(
  warnName: string,
  warn: number | false,
  failName: string,
  fail: number | false,
): void {
  if (warn !== false && fail !== false && warn > fail) {
    throw new TypeError(`Expected \`${warnName}\` (${warn}) to be at most \`${failName}\` (${fail})`)
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

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. Leaves no timer behind. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal))
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortReason(signal))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted')
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
      await sleep(this.#minSpanMs - spanMs, signal)
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
