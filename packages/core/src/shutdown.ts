import { constants } from 'node:os'
import type { DrainWaitResult, WaitForDrainOptions } from './health/drain.js'
import type { ShutdownStepEvent } from './health/events.js'
import { optionReader } from './primitives/options.js'
import { describeValue } from './sanitize.js'
import { ServerCloser, type ShutdownServer } from './shutdown-servers.js'

export type { ShutdownServer } from './shutdown-servers.js'

/**
 * What a shutdown needs of the thing it drains, e.g. a `Health`: start draining, wait for the load
 * balancers to confirm it, name who still holds it up, and close.
 */
export interface Drainable {
  /** Starts draining: readiness answers 503 from now on. */
  startDraining(): void
  /** Resolves once the load balancers have seen the instance down, or at the timeout. */
  waitForDrain(options: WaitForDrainOptions): Promise<DrainWaitResult>
  /** Whether the drain is confirmed now. */
  drainStatus(): { drained: boolean }
  /** The probers still holding up drain confirmation. */
  drainHolders(): string[]
  /** Stops every timer and background refresh. */
  close(): Promise<void>
  /** Receives each step, for the health's logger and metrics. */
  shutdownStep?(event: ShutdownStepEvent): void
  /** True when the health has a `logger`: the steps are then logged there, with fields, instead of `console`. */
  readonly logs?: boolean
}

/** Runs after the servers closed. May be async; a throw or rejection is logged and makes the exit code 1. */
export type ShutdownHook = () => unknown

/** Where shutdown steps are logged; `console` fits. */
export interface ShutdownLogger {
  /** One shutdown step. */
  info(message: string): void
  /** A step that did not go as planned (drain timed out, connections cut). */
  warn?(message: string): void
  /** A step that failed. */
  error(message: string, error?: unknown): void
}

/** Options of {@link installShutdown}. */
export interface ShutdownOptions {
  /** The server(s) to close. Default: none (only drain, hooks and `health.close()`). */
  server?: ShutdownServer | readonly ShutdownServer[]
  /**
   * Stops the server instead of `server.close()`, e.g. `() => fastify.close()` so that the framework runs its
   * own close hooks. Connection handling (idle sockets, `Connection: close`, `closeTimeoutMs`) still applies to
   * `server`. Default: `server.close()`.
   */
  close?: () => unknown
  /** Signals that start the shutdown; a second one exits at once with code 130. Default: `['SIGTERM', 'SIGINT']`. */
  signals?: readonly NodeJS.Signals[]
  /**
   * Longest wait for the load balancers to confirm the drain (see `health.drainStatus()`), in ms. `0` closes at
   * once without waiting. Keep the total (drain + close) below Kubernetes' `terminationGracePeriodSeconds`.
   * Default: 30000.
   */
  maxDrainMs?: number
  /** How often the drain confirmation is re-checked, in ms. Default: 100. */
  drainPollMs?: number
  /** Longest wait for in-flight requests once the server stopped accepting, in ms; then sockets are cut. Default: 10000. */
  closeTimeoutMs?: number
  /** Hooks run once, in order, after the servers closed and before `health.close()`. Default: none. */
  onShutdown?: ShutdownHook | readonly ShutdownHook[]
  /**
   * `true`: `process.exit(code)` at the end; `false`: do not exit (read the code from `shutdown()`'s result);
   * a function: called with the code instead of `process.exit` (tests). Default: `true`.
   */
  exit?: boolean | ((code: number) => void)
  /**
   * Where progress and errors go. Default: `console`, or nothing when the health has a `logger` (each step is
   * then logged there once, with fields).
   */
  logger?: ShutdownLogger
}

/** How a shutdown went: what it waited for and how long it took. */
export interface ShutdownResult {
  /** 0: clean; 1: a hook, a close or `health.close()` failed, or in-flight requests had to be cut; 130: second signal. */
  code: number
  /** The signal that started it, or the reason given to `shutdown()`. */
  reason: string
  /** Whether the load balancers confirmed the drain before closing. */
  drained: boolean
  drainWaitMs: number
  /** From `server.close()` until every connection ended, in ms. */
  closeMs: number
  /** `closeTimeoutMs` passed and the remaining connections were cut. */
  forcedClose: boolean
  /** Everything that went wrong, in order (also logged). */
  errors: unknown[]
}

/** The disposer `installShutdown()` returns: call it to remove the signal handlers. */
export interface ShutdownController {
  (): void
  /** Removes the signal handlers (and the request listeners, unless a shutdown is running). Idempotent. */
  dispose(): void
  /** Runs the shutdown now, as a signal would. Every call returns the same promise. */
  shutdown(reason?: string): Promise<ShutdownResult>
  /** True once a shutdown started. */
  readonly started: boolean
}

const SECOND_SIGNAL_CODE = 130
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP'])
const read = optionReader('installShutdown')
// Spelt out as an object so that the compiler flags an option missing here.
const SHUTDOWN_KEYS = Object.keys({
  server: true,
  close: true,
  signals: true,
  maxDrainMs: true,
  drainPollMs: true,
  closeTimeoutMs: true,
  onShutdown: true,
  exit: true,
  logger: true,
} satisfies Record<keyof ShutdownOptions, true>)

const SILENT: ShutdownLogger = { info: () => {}, error: () => {} }

/**
 * Installs signal handlers that shut the instance down without failing a request: drain (readiness 503,
 * liveness 200) until the load balancers confirm it or `maxDrainMs` passed; stop accepting and close idle
 * keep-alive connections; let in-flight requests finish (answered with `Connection: close`) for at most
 * `closeTimeoutMs`; run the `onShutdown` hooks; `health.close()`; exit. Returns a disposer that also exposes
 * `shutdown()`.
 */
export function installShutdown(health: Drainable, options?: ShutdownOptions): ShutdownController {
  if (typeof health?.startDraining !== 'function' || typeof health.waitForDrain !== 'function') {
    read.fail('health', 'a Health created by createHealth()', health)
  }
  const given = read.object(options, SHUTDOWN_KEYS) as ShutdownOptions
  const servers = toServers(given.server)
  const close = read.func<() => unknown>('close', given.close)
  const signals = toSignals(given.signals ?? ['SIGTERM', 'SIGINT'])
  const maxDrainMs = read.nonNegativeNumber('maxDrainMs', given.maxDrainMs, 30_000)
  const drainPollMs = read.positiveNumber('drainPollMs', given.drainPollMs, 100)
  const closeTimeoutMs = read.positiveNumber('closeTimeoutMs', given.closeTimeoutMs, 10_000)
  const hooks = toHooks(given.onShutdown)
  const exitOption = given.exit ?? true
  if (typeof exitOption !== 'boolean' && typeof exitOption !== 'function') {
    read.fail('exit', 'a boolean or a function', exitOption)
  }
  const logger = given.logger ?? (health.logs === true ? SILENT : console)
  if (typeof logger?.info !== 'function' || typeof logger.error !== 'function') {
    read.fail('logger', 'an object with `info()` and `error()` methods', logger)
  }
  const step = (event: ShutdownStepEvent) => health.shutdownStep?.(event)
  const info = (message: string) => logger.info(`healthgate: ${message}`)
  const warn = (message: string) => (logger.warn ?? logger.info).call(logger, `healthgate: ${message}`)
  const report = (message: string, error?: unknown) => {
    if (error === undefined) logger.error(`healthgate: ${message}`)
    else logger.error(`healthgate: ${message}`, error)
  }

  let exited = false
  let disposed = false
  let running: Promise<ShutdownResult> | undefined
  // Ends the drain wait early on a second signal.
  const abort = new AbortController()

  const exit = (code: number) => {
    if (exited) return
    exited = true
    if (exitOption === true) process.exit(code)
    else if (typeof exitOption === 'function') exitOption(code)
  }

  const closer = new ServerCloser(servers, close)

  const run = async (reason: string): Promise<ShutdownResult> => {
    const errors: unknown[] = []
    const fail = (message: string, error: unknown) => {
      errors.push(error)
      step({ step: 'error', reason: `${message}: ${error instanceof Error ? error.message : String(error)}` })
      report(message, error)
    }

    step({ step: 'drain', reason })
    info(`${reason}: draining (readiness answers 503)`)
    health.startDraining()
    let drained = false
    let drainWaitMs = 0
    if (maxDrainMs > 0) {
      ;({ drained, waitedMs: drainWaitMs } = await health.waitForDrain({
        maxMs: maxDrainMs,
        pollMs: drainPollMs,
        signal: abort.signal,
      }))
      if (drained) {
        step({ step: 'drain-confirmed', durationMs: drainWaitMs })
        info(`drain confirmed after ${drainWaitMs} ms`)
      } else {
        const holding = health.drainHolders().join(', ') || 'none'
        step({
          step: 'drain-timeout',
          durationMs: drainWaitMs,
          reason: `probers still holding it: ${holding}`,
        })
        warn(`drain not confirmed after ${drainWaitMs} ms (probers still holding it: ${holding})`)
      }
    } else drained = health.drainStatus().drained

    const closeStarted = performance.now()
    const { forcedClose, closeErrors } = await closer.close(closeTimeoutMs)
    const closeMs = Math.round(performance.now() - closeStarted)
    for (const error of closeErrors) fail('closing the server failed', error)
    if (forcedClose) {
      fail(
        `in-flight requests still running after closeTimeoutMs (${closeTimeoutMs} ms); connections cut`,
        new Error('closeTimeoutMs exceeded'),
      )
    } else if (servers.length > 0 || close) {
      step({ step: 'server-closed', durationMs: closeMs })
      info(`server closed after ${closeMs} ms`)
    }

    for (const [index, hook] of hooks.entries()) {
      try {
        await hook()
      } catch (error) {
        fail(`onShutdown hook #${index + 1}${hook.name ? ` (${hook.name})` : ''} failed`, error)
      }
    }
    try {
      await health.close()
    } catch (error) {
      fail('health.close() failed', error)
    }

    closer.removeListeners()
    removeSignalHandlers()
    const code = exited ? SECOND_SIGNAL_CODE : errors.length > 0 ? 1 : 0
    step({ step: 'complete', code })
    info(`shutdown complete (exit code ${code})`)
    exit(code)
    return { code, reason, drained, drainWaitMs, closeMs, forcedClose, errors }
  }

  const shutdown = (reason = 'shutdown()'): Promise<ShutdownResult> => {
    if (typeof reason !== 'string') {
      return Promise.reject(new TypeError(`Expected \`reason\` to be a string, got ${describeValue(reason)}`))
    }
    running ??= run(reason).catch((error: unknown) => {
      // run() handles every error it expects; this guards against the unexpected so the process still exits.
      report('shutdown failed', error)
      exit(1)
      return {
        code: 1,
        reason,
        drained: false,
        drainWaitMs: 0,
        closeMs: 0,
        forcedClose: false,
        errors: [error],
      }
    })
    return running
  }

  const onSignal = (signal: NodeJS.Signals) => {
    if (!running) {
      void shutdown(signal)
      return
    }
    report(`${signal} received again: exiting now`)
    abort.abort()
    closer.cutNow()
    exit(SECOND_SIGNAL_CODE)
  }

  for (const signal of signals) process.on(signal, onSignal)
  const removeSignalHandlers = () => {
    for (const signal of signals) process.removeListener(signal, onSignal)
  }

  const dispose = () => {
    if (disposed) return
    disposed = true
    removeSignalHandlers()
    if (!running) closer.removeListeners()
  }

  return Object.defineProperties(() => dispose(), {
    dispose: { value: dispose },
    shutdown: { value: shutdown },
    started: { get: () => running !== undefined },
  }) as ShutdownController
}

function toServers(value: ShutdownOptions['server']): ShutdownServer[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? (value as readonly ShutdownServer[]) : [value as ShutdownServer]
  for (const server of list) {
    if (
      server === null ||
      typeof server !== 'object' ||
      typeof server.close !== 'function' ||
      typeof server.prependListener !== 'function'
    ) {
      read.fail('server', 'a node:http server (e.g. the result of `app.listen()`)', server)
    }
  }
  return [...list]
}

function toSignals(value: unknown): NodeJS.Signals[] {
  if (!Array.isArray(value)) {
    return read.fail('signals', 'an array of signal names', value)
  }
  for (const signal of value) {
    if (typeof signal !== 'string' || !(signal in constants.signals) || UNCATCHABLE.has(signal)) {
      read.fail('signals', "catchable signal names like 'SIGTERM'", signal)
    }
  }
  return [...new Set(value as NodeJS.Signals[])]
}

function toHooks(value: unknown): ShutdownHook[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  list.forEach((hook, index) => {
    if (typeof hook !== 'function') {
      read.fail(`onShutdown[${index}]`, 'a function', hook)
    }
  })
  return list as ShutdownHook[]
}
