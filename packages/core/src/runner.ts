import { CheckStillRunningError, CheckTimeoutError } from './errors.js'
import { raceDeadline, sleep } from './primitives/deadline.js'
import { optionReader } from './primitives/options.js'
import { describeValue, isErrorLike, sanitizeOutput } from './sanitize.js'
import type { CheckDefinition, CheckOutcome, CheckResult, Measurement, Probe, Status } from './types.js'

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const PROBES: readonly Probe[] = ['live', 'ready', 'startup']
const JITTER = 0.1
// Spelt out as an object so that the compiler flags a key missing here: a misspelt `timeout` would
// otherwise leave the default deadline in place without a word.
const DEFINITION_KEYS = Object.keys({
  name: true,
  check: true,
  close: true,
  critical: true,
  timeoutMs: true,
  cacheTtlMs: true,
  intervalMs: true,
  tags: true,
  failureThreshold: true,
  successThreshold: true,
  componentType: true,
  componentId: true,
  measurement: true,
} satisfies Record<keyof CheckDefinition, true>)

export interface RunnerDefaults {
  timeoutMs: number
  cacheTtlMs: number
}

/** The raw outcome of one run, before hysteresis. */
interface RawResult {
  status: Status
  output?: string
  observedValue?: unknown
  observedUnit?: string
  measurement?: string
  measurements?: Record<string, Measurement>
  durationMs: number
  /** Why a failure looks like a bug rather than an outage; see `failureHint()`. */
  hint?: FailureHint
}

export type FailureHint = 'programming error' | 'unresolvable host'

/**
 * A `ReferenceError`/`TypeError` thrown by the check is a bug in it, and a host that does not resolve is a
 * configuration mistake: both deserve a log line, since nothing else would tell a new user why /health says 503.
 */
function failureHint(error: Error): FailureHint | undefined {
  // fetch() reports a network failure as a TypeError whose `cause` holds the system error.
  const cause = (error as { cause?: { code?: unknown } }).cause
  const code = (error as { code?: unknown }).code ?? cause?.code
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unresolvable host'
  if (cause !== undefined) return undefined
  if (error.name === 'ReferenceError' || error.name === 'TypeError') return 'programming error'
  return undefined
}

/** The raw outcome behind the placeholder a background check reports until its first run: compared by identity. */
const NO_RESULT_YET: RawResult = Object.freeze({ status: 'fail', output: 'no result yet', durationMs: 0 })

/**
 * Runs one check with the guarantees the rest of healthgate relies on: a hard deadline, at most one run
 * in flight, results reused for `cacheTtlMs`, no new run while an abandoned one is still hung, and
 * hysteresis between raw outcomes and the reported status.
 */
export class CheckRunner {
  readonly name: string
  readonly critical: boolean
  readonly tags: ReadonlySet<Probe>
  readonly timeoutMs: number
  readonly cacheTtlMs: number
  readonly intervalMs: number | undefined
  readonly failureThreshold: number
  readonly successThreshold: number
  readonly componentType: string
  readonly componentId: string | undefined
  readonly measurement: string

  /** Called whenever a run produced a new reported result. */
  onResult: (current: CheckResult, previous: CheckResult | undefined, hint?: FailureHint) => void = () => {}

  readonly #check: CheckDefinition['check']
  readonly #close: CheckDefinition['close']
  #result: CheckResult | undefined
  #resultAt = Number.NEGATIVE_INFINITY
  #inflight: Promise<CheckResult> | undefined
  #hungSince: number | undefined
  /** Set while background refresh runs; aborted by `close()`. */
  #refresh: AbortController | undefined
  #closed = false
  #consecutiveFailures = 0
  #consecutiveSuccesses = 0
  readonly #pending: CheckResult

  constructor(definition: CheckDefinition, defaults: RunnerDefaults) {
    if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
      throw new TypeError(`Expected a check definition object, got ${describeValue(definition)}`)
    }
    const { name, check } = definition
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new TypeError(
        `Expected check \`name\` to be 1-128 letters, digits, '.', '_' or '-', got ${describeValue(name)}`,
      )
    }
    // Every message names the check: `check "db": expected \`timeoutMs\` to be a positive number, got …`.
    const read = optionReader(`check "${name}"`)
    read.object(definition, DEFINITION_KEYS)
    this.name = name
    this.#check =
      read.func<CheckDefinition['check']>('check', check) ?? read.fail('check', 'a function', check)
    this.#close = read.func<NonNullable<CheckDefinition['close']>>('close', definition.close)
    this.critical = read.boolean('critical', definition.critical, true)
    this.timeoutMs = read.positiveNumber('timeoutMs', definition.timeoutMs, defaults.timeoutMs)
    this.cacheTtlMs = read.positiveNumber('cacheTtlMs', definition.cacheTtlMs, defaults.cacheTtlMs)
    this.intervalMs = read.optionalPositiveNumber('intervalMs', definition.intervalMs)
    this.failureThreshold = read.positiveInteger('failureThreshold', definition.failureThreshold, 1)
    this.successThreshold = read.positiveInteger('successThreshold', definition.successThreshold, 1)
    this.componentType = read.string('componentType', definition.componentType) ?? 'component'
    this.componentId = read.string('componentId', definition.componentId)
    this.measurement = read.string('measurement', definition.measurement) ?? 'responseTime'
    const tags = definition.tags ?? ['ready']
    if (!Array.isArray(tags) || tags.some((tag) => !PROBES.includes(tag))) {
      read.fail('tags', "an array of 'live', 'ready', 'startup'", tags)
    }
    this.tags = new Set(tags)
    this.#pending = this.#build(NO_RESULT_YET, 'fail')
  }

  /** Starts background refresh when `intervalMs` is set. */
  start(): void {
    if (this.intervalMs === undefined || this.#closed || this.#refresh) return
    this.#refresh = new AbortController()
    void this.#refreshLoop(this.intervalMs, this.#refresh.signal)
  }

  /** The latest reported result, if any, without running anything. */
  get latest(): CheckResult | undefined {
    return this.#result
  }

  /** What `current()` answers from without running: the latest result, or the placeholder of a background check. */
  peek(): CheckResult | undefined {
    return this.#result ?? (this.intervalMs === undefined ? undefined : this.#pending)
  }

  /** True when `current()` would answer from cache without running the check. */
  isFresh(now: number): boolean {
    return (
      this.intervalMs !== undefined || (this.#result !== undefined && now - this.#resultAt < this.cacheTtlMs)
    )
  }

  /**
   * The result a request should see now: the cached one while fresh (or the latest background one),
   * otherwise the result of a run, shared with every concurrent caller.
   */
  current(now: number): CheckResult | Promise<CheckResult> {
    if (this.intervalMs !== undefined) return this.#result ?? this.#pending
    if (this.#result !== undefined && now - this.#resultAt < this.cacheTtlMs) return this.#result
    return this.run()
  }

  /** Runs the check now unless a run is in flight (then joins it) or an abandoned run is still hung. */
  run(): Promise<CheckResult> {
    if (this.#inflight) return this.#inflight
    if (this.#hungSince !== undefined) {
      const elapsed = Math.round(performance.now() - this.#hungSince)
      const error = new CheckStillRunningError(`still running after ${elapsed} ms`)
      return Promise.resolve(this.#record({ status: 'fail', output: error.message, durationMs: 0 }))
    }
    const inflight = this.#execute().then((raw) => {
      this.#inflight = undefined
      return this.#record(raw)
    })
    this.#inflight = inflight
    return inflight
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#refresh?.abort()
    await this.#close?.()
  }

  async #execute(): Promise<RawResult> {
    const started = performance.now()
    const { settled, work } = raceDeadline(this.#check, this.timeoutMs, {
      timeoutReason: () => new CheckTimeoutError(this.timeoutMs),
    })
    const outcome = await settled
    const durationMs = Math.round((performance.now() - started) * 100) / 100
    if (outcome.kind === 'ok') return this.#fromOutcome(outcome.value, durationMs)
    if (outcome.kind === 'timeout') {
      // Until the abandoned run settles, no new run starts: a hung dependency must not pile up work.
      this.#hungSince = started
      const clear = () => this.#clearHung(started)
      work.then(clear, clear)
      return { status: 'fail', output: new CheckTimeoutError(this.timeoutMs).message, durationMs }
    }
    // No outer signal is given, so the race cannot end `aborted`: what is left is an error.
    const error = outcome.kind === 'error' ? outcome.error : outcome.reason
    if (!isErrorLike(error)) {
      return {
        status: 'fail',
        output: `check threw a non-Error value: ${sanitizeOutput(describeValue(error))}`,
        durationMs,
      }
    }
    const hint = failureHint(error)
    const output = sanitizeOutput(error) || error.name
    return hint ? { status: 'fail', output, durationMs, hint } : { status: 'fail', output, durationMs }
  }

  #clearHung(started: number): void {
    if (this.#hungSince === started) this.#hungSince = undefined
  }

  #fromOutcome(value: unknown, durationMs: number): RawResult {
    if (value === undefined || value === null) return { status: 'pass', durationMs }
    if (typeof value !== 'object' || Array.isArray(value)) {
      return {
        status: 'fail',
        output: `check resolved a malformed value: expected nothing or an object, got ${describeValue(value)}`,
        durationMs,
      }
    }
    const outcome = value as CheckOutcome
    if (outcome.status !== undefined && outcome.status !== 'pass' && outcome.status !== 'warn') {
      return {
        status: 'fail',
        output: `check resolved a malformed value: \`status\` must be 'pass' or 'warn' (throw to fail), got ${describeValue(outcome.status)}`,
        durationMs,
      }
    }
    if (
      outcome.measurements !== undefined &&
      (typeof outcome.measurements !== 'object' || outcome.measurements === null)
    ) {
      return {
        status: 'fail',
        output: 'check resolved a malformed value: `measurements` must be an object',
        durationMs,
      }
    }
    const raw: RawResult = { status: outcome.status ?? 'pass', durationMs }
    if (outcome.output !== undefined) raw.output = sanitizeOutput(outcome.output)
    if (outcome.observedValue !== undefined) {
      raw.observedValue = outcome.observedValue
      if (outcome.observedUnit !== undefined) raw.observedUnit = String(outcome.observedUnit)
    }
    if (typeof outcome.measurement === 'string') raw.measurement = outcome.measurement
    if (outcome.measurements) raw.measurements = outcome.measurements
    return raw
  }

  /** Applies hysteresis to a raw outcome and stores the reported result. */
  #record(raw: RawResult): CheckResult {
    const failed = raw.status === 'fail'
    if (failed) {
      this.#consecutiveFailures++
      this.#consecutiveSuccesses = 0
    } else {
      this.#consecutiveSuccesses++
      this.#consecutiveFailures = 0
    }
    const previous = this.#result
    let status: Status = raw.status
    let output = raw.output
    if (previous !== undefined) {
      if (previous.status === 'fail' && !failed && this.#consecutiveSuccesses < this.successThreshold) {
        status = 'fail'
        output = `recovering: ${this.#consecutiveSuccesses} of ${this.successThreshold} consecutive successes`
      } else if (previous.status !== 'fail' && failed && this.#consecutiveFailures < this.failureThreshold) {
        status = previous.status
        output = `${this.#consecutiveFailures} of ${this.failureThreshold} consecutive failures: ${raw.output ?? ''}`
      }
    }
    const result = this.#build({ ...raw, output }, status)
    this.#result = result
    this.#resultAt = performance.now()
    try {
      this.onResult(result, previous, raw.hint)
    } catch {
      // Listener errors are reported by the health that installed the listener.
    }
    return result
  }

  #build(raw: RawResult, status: Status): CheckResult {
    const result: CheckResult = {
      name: this.name,
      status,
      critical: this.critical,
      componentType: this.componentType,
      measurement: raw.measurement ?? this.measurement,
      time: new Date().toISOString(),
      durationMs: raw.durationMs,
      consecutiveFailures: this.#consecutiveFailures,
      consecutiveSuccesses: this.#consecutiveSuccesses,
    }
    if (this.componentId !== undefined) result.componentId = this.componentId
    if (raw.observedValue !== undefined) {
      result.observedValue = raw.observedValue
      if (raw.observedUnit !== undefined) result.observedUnit = raw.observedUnit
    } else if (result.measurement === 'responseTime' && raw !== NO_RESULT_YET) {
      result.observedValue = raw.durationMs
      result.observedUnit = 'ms'
    }
    if (raw.measurements) result.measurements = raw.measurements
    if (raw.output) result.output = raw.output
    return result
  }

  /** Runs the check now, then every `intervalMs` (jittered) until closed. The pauses let the process exit. */
  async #refreshLoop(intervalMs: number, signal: AbortSignal): Promise<void> {
    let delayMs = 0
    for (;;) {
      try {
        await sleep(delayMs, { signal, unref: true })
      } catch {
        return // closed
      }
      await this.run()
      delayMs = intervalMs * (1 + (Math.random() * 2 - 1) * JITTER)
    }
  }
}
