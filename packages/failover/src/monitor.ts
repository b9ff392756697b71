// Runtime-neutral on purpose: only fetch, AbortController and timers, so the monitor runs unchanged in
// browsers, React Native, Deno, Bun and Node. Node-only code (serveActive) lives in serve.ts.
import { type ErrorHandler, Listeners, unref } from '@healthgate/core/primitives'
import { readFailoverOptions } from './options.js'
import type { FetchLike, ProbeMethod, ProbeResult } from './probe.js'
import { probeHealth } from './probe.js'

/** One place the app can connect to. Endpoints are listed in priority order: the first is the primary. */
export interface FailoverEndpoint {
  /** Unique name, used in events, snapshots and `reportFailure()`. */
  name: string
  /** Polled by the monitor; an `http:` or `https:` URL. */
  healthUrl: string | URL
  /** What the app connects to while this endpoint is active, any scheme (e.g. `wss://`). Never requested by the monitor. */
  connectUrl: string | URL
}

/** Options of {@link createFailover}. */
export interface FailoverOptions {
  /** At least two endpoints in priority order, unique names. */
  endpoints: readonly FailoverEndpoint[]
  /** Time between polling rounds in ms (jittered by `jitter`). Default: 10000. */
  intervalMs?: number
  /** A probe that has not answered after this many ms is aborted and counts as failed. Must be below `intervalMs`. Default: `min(2000, intervalMs / 2)`. */
  timeoutMs?: number
  /** Consecutive failures of the active endpoint that trigger a failover. Default: 3. */
  failureThreshold?: number
  /** Consecutive successes of a higher-priority endpoint before failing back to it. Default: 2. */
  successThreshold?: number
  /** Probe method. `HEAD` falls back to `GET` (remembered per endpoint) when a server answers 405 or 501. Default: `'HEAD'`. */
  method?: ProbeMethod
  /** Healthy status codes and ranges, e.g. `'200-299,304'`. Redirects are not followed. Default: `'200-399'`. */
  expect?: string
  /** Switch back to a higher-priority endpoint once it has recovered. Default: `true`. */
  failback?: boolean
  /** Randomises each interval by up to this fraction either way, so many clients do not poll in lockstep. Default: 0.1. */
  jitter?: number
  /** The fetch implementation to probe with. Default: the global `fetch`. */
  fetch?: FetchLike
  /**
   * Receives what an `onChange` listener throws (or rejects with); a throwing listener never breaks the
   * polling loop nor the other listeners. Default: a warning (`process.emitWarning`, else `console.warn`).
   */
  onError?: ErrorHandler
}

/** `unknown` before the first observation; otherwise whether the latest probe or report passed. */
export type EndpointStatus = 'up' | 'down' | 'unknown'

/** What the monitor knows of one endpoint. */
export interface EndpointSnapshot {
  name: string
  healthUrl: string
  connectUrl: string
  /** 0 for the primary, then 1, 2, ... in the order given. */
  priority: number
  active: boolean
  status: EndpointStatus
  consecutiveFailures: number
  consecutiveSuccesses: number
  /** HTTP status of the latest probe; absent when it got no response. */
  lastStatus?: number
  /** Why the latest observation failed, e.g. `'HTTP 503 (expected 200-399)'` or `'timed out after 2000 ms'`. */
  lastError?: string
  /** ISO time of the latest observation. */
  lastCheckedAt?: string
  /** Duration of the latest probe in ms. */
  lastDurationMs?: number
  /** The method probes of this endpoint use: `'GET'` once it answered 405 or 501 to `HEAD`. */
  method: ProbeMethod
}

/** The endpoint clients should connect to now. */
export interface ActiveEndpoint {
  name: string
  connectUrl: string
  /** ISO time this endpoint became active (the monitor's creation for the initial primary). */
  since: string
}

/** The monitor's state: the active endpoint and every endpoint's status. */
export interface FailoverSnapshot {
  active: ActiveEndpoint
  /** The active endpoint reached `failureThreshold` and no other endpoint was healthy. */
  allDown: boolean
  running: boolean
  endpoints: EndpointSnapshot[]
}

/**
 * One transition, emitted exactly once:
 * - `switch`: the active endpoint changed (`failback: true` when it went back to a higher-priority one);
 * - `all-down`: the active endpoint failed and no other was healthy; the active endpoint stays (`from === to`);
 * - `recovered`: after `all-down`, an endpoint answered healthy again and became (or stayed) active.
 */
export interface FailoverEvent {
  type: 'switch' | 'all-down' | 'recovered'
  /** Name of the endpoint active before the transition. */
  from: string
  /** Name of the endpoint active after it. */
  to: string
  /** `connectUrl` of `to`: where the app should be connected now. */
  connectUrl: string
  /** True for a switch back to a higher-priority endpoint after `successThreshold` successes. */
  failback: boolean
  /** Human-readable explanation, e.g. `'primary failed 3 consecutive checks (HTTP 503 ...); secondary is healthy'`. */
  reason: string
  /** ISO time of the transition. */
  at: string
}

/** A running failover monitor (see {@link createFailover}). */
export interface FailoverMonitor {
  /** The endpoint to connect to. Never undefined: when every endpoint is down the last active one stays. */
  readonly active: ActiveEndpoint
  readonly allDown: boolean
  readonly running: boolean
  /** A copy of the whole state; safe to keep and to serialise. */
  snapshot(): FailoverSnapshot
  /** Called once per transition. Returns a disposer. */
  onChange(listener: (event: FailoverEvent) => void): () => void
  /**
   * The app reports that a real connection to `name` failed. Counts like a failed probe; when it brings
   * the active endpoint to `failureThreshold`, the failover runs at once. Resolves when that is done.
   */
  reportFailure(name: string, reason?: string): Promise<void>
  /** Runs one polling round now (what every timer tick does) and resolves with the snapshot after it. */
  tick(): Promise<FailoverSnapshot>
  /** Starts polling: a round at once, then every `intervalMs`. Resolves after the first round. Idempotent. */
  start(): Promise<void>
  /** Stops polling, aborts probes in flight and resolves once nothing of the monitor is left running. */
  stop(): Promise<void>
}

interface Endpoint {
  name: string
  healthUrl: string
  connectUrl: string
  priority: number
  method: ProbeMethod
  status: EndpointStatus
  consecutiveFailures: number
  consecutiveSuccesses: number
  lastStatus?: number
  lastError?: string
  lastCheckedAt?: string
  lastDurationMs?: number
}

interface Observation {
  ok: boolean
  status?: number
  error?: string
  durationMs?: number
}

type Timer = ReturnType<typeof setTimeout>

const STOPPED = Symbol('stopped')

/** Creates a failover monitor over `options.endpoints` (first one primary); call `start()` to begin polling. */
export function createFailover(options: FailoverOptions): FailoverMonitor {
  const config = readFailoverOptions(options)
  const { intervalMs, timeoutMs, failureThreshold, successThreshold, failback, jitter, accepts } = config
  const fetchImpl = config.fetch
  const endpoints: Endpoint[] = config.endpoints.map((endpoint, priority) => ({
    ...endpoint,
    priority,
    method: config.method,
    status: 'unknown',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
  }))
  const listeners = new Listeners<FailoverEvent>(config.onError)
  const inFlight = new Set<AbortController>()

  let active = endpoints[0] as Endpoint
  let since = new Date().toISOString()
  let allDown = false
  let running = false
  let timer: Timer | undefined
  // Bumped by stop(): rounds and probes of an older epoch stop touching state.
  let epoch = 0
  let queue: Promise<unknown> = Promise.resolve()
  let firstRound: Promise<void> | undefined

  function serial(task: () => Promise<void>): Promise<void> {
    const run = queue.then(task)
    queue = run.catch(() => {})
    return run
  }

  function emit(type: FailoverEvent['type'], from: Endpoint, reason: string, isFailback = false) {
    const event: FailoverEvent = {
      type,
      from: from.name,
      to: active.name,
      connectUrl: active.connectUrl,
      failback: isFailback,
      reason,
      at: new Date().toISOString(),
    }
    listeners.emit(event)
  }

  function activate(endpoint: Endpoint) {
    if (endpoint !== active) {
      active = endpoint
      since = new Date().toISOString()
    }
  }

  function record(endpoint: Endpoint, outcome: Observation, probed = true) {
    endpoint.lastCheckedAt = new Date().toISOString()
    // A report from the app says nothing about the health URL's status or latency.
    if (probed) {
      endpoint.lastDurationMs = outcome.durationMs
      endpoint.lastStatus = outcome.status
    }
    if (outcome.ok) {
      endpoint.status = 'up'
      endpoint.consecutiveSuccesses++
      endpoint.consecutiveFailures = 0
      endpoint.lastError = undefined
    } else {
      endpoint.status = 'down'
      endpoint.consecutiveFailures++
      endpoint.consecutiveSuccesses = 0
      endpoint.lastError = outcome.error
    }
  }

  function describeFailure(endpoint: Endpoint): string {
    const count = endpoint.consecutiveFailures
    return `${endpoint.name} failed ${count} consecutive check${count === 1 ? '' : 's'} (${endpoint.lastError ?? 'unknown error'})`
  }

  async function probe(endpoint: Endpoint): Promise<ProbeResult | undefined> {
    const controller = new AbortController()
    inFlight.add(controller)
    try {
      const result = await probeHealth(endpoint.healthUrl, {
        method: endpoint.method,
        timeoutMs,
        accepts,
        fetch: fetchImpl,
        signal: controller.signal,
      })
      endpoint.method = result.method
      return result
    } catch {
      // Only stop() aborts this signal: the result belongs to a stopped monitor and is dropped.
      return undefined
    } finally {
      inFlight.delete(controller)
    }
  }

  /** Probes `targets` in parallel and records the outcomes. False when stop() interrupted them. */
  async function probeAll(targets: Endpoint[], results: Map<Endpoint, boolean>, roundEpoch: number) {
    const outcomes = await Promise.all(targets.map(probe))
    if (roundEpoch !== epoch) return false
    targets.forEach((endpoint, index) => {
      const outcome = outcomes[index]
      if (outcome === undefined) return
      record(endpoint, outcome)
      results.set(endpoint, outcome.ok)
    })
    return true
  }

  async function failover(results: Map<Endpoint, boolean>, roundEpoch: number) {
    const others = endpoints.filter((endpoint) => endpoint !== active)
    const unprobed = others.filter((endpoint) => !results.has(endpoint))
    if (!(await probeAll(unprobed, results, roundEpoch))) return
    const from = active
    const healthy = others.find((endpoint) => results.get(endpoint) === true)
    if (healthy) {
      activate(healthy)
      emit('switch', from, `${describeFailure(from)}; ${healthy.name} is healthy`)
    } else if (!allDown) {
      allDown = true
      emit('all-down', from, `${describeFailure(from)}; no other endpoint is healthy`)
    }
  }

  async function round(roundEpoch: number) {
    if (roundEpoch !== epoch) return
    const results = new Map<Endpoint, boolean>()
    if (allDown) {
      if (!(await probeAll(endpoints, results, roundEpoch))) return
      const healthy = endpoints.find((endpoint) => results.get(endpoint) === true)
      if (healthy) {
        const from = active
        allDown = false
        activate(healthy)
        emit('recovered', from, `${healthy.name} is healthy again`)
      }
      return
    }
    const higher = failback ? endpoints.filter((endpoint) => endpoint.priority < active.priority) : []
    if (!(await probeAll([active, ...higher], results, roundEpoch))) return
    const back = higher.find((endpoint) => endpoint.consecutiveSuccesses >= successThreshold)
    if (back) {
      const from = active
      activate(back)
      const count = back.consecutiveSuccesses
      emit('switch', from, `${back.name} passed ${count} consecutive checks`, true)
      return
    }
    if (active.consecutiveFailures >= failureThreshold) await failover(results, roundEpoch)
  }

  async function loop() {
    timer = undefined
    const loopEpoch = epoch
    const started = Date.now()
    // round() handles every probe error itself; this only keeps a bug from becoming an unhandled rejection.
    await serial(() => round(loopEpoch)).catch(() => {})
    if (!running || loopEpoch !== epoch) return
    const delay = intervalMs * (1 + jitter * (2 * Math.random() - 1))
    timer = unref(setTimeout(loop, Math.max(0, delay - (Date.now() - started))))
  }

  function snapshotActive(): ActiveEndpoint {
    return { name: active.name, connectUrl: active.connectUrl, since }
  }

  function snapshot(): FailoverSnapshot {
    return {
      active: snapshotActive(),
      allDown,
      running,
      endpoints: endpoints.map((endpoint) => ({ ...endpoint, active: endpoint === active })),
    }
  }

  return {
    get active() {
      return snapshotActive()
    },
    get allDown() {
      return allDown
    },
    get running() {
      return running
    },
    snapshot,
    onChange: (listener) => listeners.add(listener),
    reportFailure(name, reason = 'connection failure reported by the application') {
      const endpoint = endpoints.find((candidate) => candidate.name === name)
      if (!endpoint) {
        const known = endpoints.map((candidate) => candidate.name).join(', ')
        throw new TypeError(
          `reportFailure(): expected \`name\` to be one of the endpoints (${known}), got \`${name}\``,
        )
      }
      record(endpoint, { ok: false, error: String(reason) }, false)
      const reportEpoch = epoch
      return serial(async () => {
        if (reportEpoch !== epoch || allDown) return
        if (active.consecutiveFailures >= failureThreshold) await failover(new Map(), reportEpoch)
      })
    },
    async tick() {
      const tickEpoch = epoch
      await serial(() => round(tickEpoch))
      return snapshot()
    },
    start() {
      if (!running) {
        running = true
        firstRound = loop()
      }
      return firstRound ?? Promise.resolve()
    },
    async stop() {
      running = false
      epoch++
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      for (const controller of inFlight) controller.abort(STOPPED)
      await queue
    },
  }
}
