import { pollUntil } from '../primitives/deadline.js'
import { optionReader } from '../primitives/options.js'
import { describeValue } from '../sanitize.js'

/** A client that asked for readiness: remote address plus User-Agent, e.g. one node of a load balancer. */
export interface Prober {
  id: string
  /** Readiness 503s answered to it in a row (any 200 resets it). */
  consecutive503: number
  /** ISO time of its latest readiness request. */
  lastSeen: string
}

/** How far the drain has come: which probers have seen enough 503s. */
export interface DrainStatus {
  /** True while maintenance is on or a shutdown drains the instance. */
  draining: boolean
  /**
   * Draining, and every active prober that has seen this instance healthy has since seen `unhealthyThreshold`
   * consecutive 503s (or none is around). A prober is active until it is silent for three of its own check
   * intervals, or for `proberTtlMs`. A prober that never got a 200 is not waited for: no balancer routes to a
   * target it has only seen failing (HAProxy marks a server down at its first failed check after a restart).
   */
  drained: boolean
  /** The active probers, the ones `drained` waits for. */
  probers: Prober[]
}

/** Options of `health.waitForDrain()`. */
export interface WaitForDrainOptions {
  /** Give up after this many ms and resolve `{ drained: false }`. */
  maxMs: number
  /** How often to re-check, in ms. Default: 100. */
  pollMs?: number
  /** Stops waiting early (resolves, never rejects). */
  signal?: AbortSignal
}

/** What `health.waitForDrain()` resolves to. */
export interface DrainWaitResult {
  drained: boolean
  waitedMs: number
}

interface ProberState {
  consecutive503: number
  /** `performance.now()` of the latest request: monotonic, for the arithmetic. */
  lastSeen: number
  /** Estimated check interval; undefined until the prober asked twice. */
  intervalMs: number | undefined
  /** Got a 200 at least once: it may be routing traffic here. */
  sawHealthy: boolean
}

const MAX_PROBERS = 256
/** A prober silent for this many of its own intervals has gone away (or can no longer reach us). */
const MISSED_INTERVALS = 3
/** Slack on top of the missed intervals, for balancers with fast checks and jitter. */
const QUIET_SLACK_MS = 1000
const readWait = optionReader('health.waitForDrain')
const WAIT_KEYS = Object.keys({
  maxMs: true,
  pollMs: true,
  signal: true,
} satisfies Record<keyof WaitForDrainOptions, true>)

/**
 * Counts the readiness answers each prober got, and answers from them whether the drain is confirmed, who
 * still holds it up, and waits for it. `isDraining` says whether the instance drains (maintenance or shutdown).
 */
export class DrainTracker {
  readonly unhealthyThreshold: number
  readonly proberTtlMs: number
  readonly #isDraining: () => boolean
  readonly #probers = new Map<string, ProberState>()

  constructor(unhealthyThreshold: number, proberTtlMs: number, isDraining: () => boolean) {
    this.unhealthyThreshold = unhealthyThreshold
    this.proberTtlMs = proberTtlMs
    this.#isDraining = isDraining
  }

  /** Counts one readiness answer. On every readiness request: updates in place, allocates only for a new prober. */
  record(id: string, httpStatus: number, now: number): void {
    if (typeof id !== 'string')
      throw new TypeError(`Expected \`id\` to be a string, got ${describeValue(id)}`)
    if (!Number.isInteger(httpStatus)) {
      throw new TypeError(`Expected \`httpStatus\` to be an integer, got ${describeValue(httpStatus)}`)
    }
    if (!Number.isFinite(now))
      throw new TypeError(`Expected \`now\` to be a number, got ${describeValue(now)}`)
    let prober = this.#probers.get(id)
    if (prober && now - prober.lastSeen > this.proberTtlMs) prober = undefined
    if (prober) {
      const gap = now - prober.lastSeen
      // Follows a longer interval at once and a shorter one slowly, so that a balancer that slows down
      // (HAProxy's `downinter`) is not taken for gone.
      prober.intervalMs =
        prober.intervalMs === undefined || gap > prober.intervalMs ? gap : prober.intervalMs * 0.8 + gap * 0.2
    } else {
      if (this.#probers.size >= MAX_PROBERS) this.#evict(now)
      prober = { consecutive503: 0, lastSeen: now, intervalMs: undefined, sawHealthy: false }
      this.#probers.set(id, prober)
    }
    prober.lastSeen = now
    prober.consecutive503 = httpStatus === 503 ? prober.consecutive503 + 1 : 0
    if (httpStatus !== 503) prober.sawHealthy = true
  }

  /** Whether the drain is confirmed: see `DrainStatus.drained`. */
  drained(now = performance.now()): boolean {
    if (!this.#isDraining()) return false
    for (const prober of this.#probers.values()) if (this.#holds(prober, now)) return false
    return true
  }

  /** The ids of the active probers that saw this instance healthy and not yet `unhealthyThreshold` 503s since. */
  holders(now = performance.now()): string[] {
    const holding: string[] = []
    for (const [id, prober] of this.#probers) {
      if (this.#holds(prober, now)) holding.push(id)
    }
    return holding
  }

  status(now = performance.now()): DrainStatus {
    const active: Array<[string, ProberState]> = []
    let holding = false
    for (const entry of this.#probers) {
      if (!this.#isActive(entry[1], now)) continue
      active.push(entry)
      if (this.#holds(entry[1], now)) holding = true
    }
    // Least recently seen first. Sorted here rather than kept in order on every request (see record()).
    active.sort((a, b) => a[1].lastSeen - b[1].lastSeen)
    const probers: Prober[] = active.map(([id, prober]) => ({
      id,
      consecutive503: prober.consecutive503,
      // Wall time from the monotonic clock, so that record() reads one clock, not two.
      lastSeen: new Date(performance.timeOrigin + prober.lastSeen).toISOString(),
    }))
    const draining = this.#isDraining()
    return { draining, drained: draining && !holding, probers }
  }

  /** Resolves once the drain is confirmed, `maxMs` passed or `signal` aborted. Throws a `TypeError` for bad options. */
  async wait(options: WaitForDrainOptions): Promise<DrainWaitResult> {
    const given = readWait.object(options, WAIT_KEYS)
    const maxMs = readWait.positiveNumber('maxMs', given.maxMs)
    const pollMs = readWait.positiveNumber('pollMs', given.pollMs, 100)
    const signal = given.signal as AbortSignal | undefined
    if (signal !== undefined && typeof signal?.addEventListener !== 'function') {
      readWait.fail('signal', 'an AbortSignal', signal)
    }
    // Timers stay referenced: a shutdown waiting here must not let the process exit before its hooks ran.
    const result = await pollUntil(
      () => this.drained(),
      (drained) => drained,
      { timeoutMs: maxMs, intervalMs: pollMs, signal },
    )
    return { drained: result.value, waitedMs: result.elapsedMs }
  }

  #holds(prober: ProberState, now: number): boolean {
    return prober.sawHealthy && prober.consecutive503 < this.unhealthyThreshold && this.#isActive(prober, now)
  }

  /** Seen within `proberTtlMs`, and not silent for more than three of its own intervals. */
  #isActive(prober: ProberState, now: number): boolean {
    const silent = now - prober.lastSeen
    if (silent > this.proberTtlMs) return false
    if (prober.intervalMs === undefined) return true
    return silent <= Math.max(MISSED_INTERVALS * prober.intervalMs, prober.intervalMs + QUIET_SLACK_MS)
  }

  #evict(now: number): void {
    for (const [id, prober] of this.#probers) {
      if (!this.#isActive(prober, now)) this.#probers.delete(id)
    }
    if (this.#probers.size < MAX_PROBERS) return
    let leastRecent: string | undefined
    let oldest = Number.POSITIVE_INFINITY
    for (const [id, prober] of this.#probers) {
      if (prober.lastSeen < oldest) {
        oldest = prober.lastSeen
        leastRecent = id
      }
    }
    if (leastRecent !== undefined) this.#probers.delete(leastRecent)
  }
}
