import type { IncomingMessage, ServerResponse } from 'node:http'
import { constants } from 'node:os'
import type { Health } from './health.js'
import { describeValue } from './sanitize.js'
import { positiveNumber } from './validate.js'

/** Runs after the servers closed. May be async; a throw or rejection is logged and makes the exit code 1. */
export type ShutdownHook = () => unknown

export interface ShutdownLogger {
  info(message: string): void
  warn?(message: string): void
  error(message: string, error?: unknown): void
}

/**
 * What a graceful shutdown needs of a server: a `node:http` or `node:https` server, such as Express's
 * `app.listen()` or `fastify.server`. `closeIdleConnections()`/`closeAllConnections()` exist since Node 18.2.
 */
export interface ShutdownServer {
  close(callback?: (error?: Error) => void): unknown
  closeIdleConnections?(): void
  closeAllConnections?(): void
  prependListener(
    event: 'request',
    listener: (request: IncomingMessage, response: ServerResponse) => void,
  ): unknown
  removeListener(
    event: 'request',
    listener: (request: IncomingMessage, response: ServerResponse) => void,
  ): unknown
}

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
  /** Where progress and errors go. Default: `console`. */
  logger?: ShutdownLogger
}

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
/** After cutting the sockets, how long to wait for the server's close callback before going on regardless. */
const AFTER_FORCE_MS = 1000
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP'])

interface Tracked {
  server: ShutdownServer
  inFlight: Set<ServerResponse>
  onRequest: (request: IncomingMessage, response: ServerResponse) => void
}

/**
 * Installs signal handlers that shut the instance down without failing a request: drain (readiness 503,
 * liveness 200) until the load balancers confirm it or `maxDrainMs` passed; stop accepting and close idle
 * keep-alive connections; let in-flight requests finish (answered with `Connection: close`) for at most
 * `closeTimeoutMs`; run the `onShutdown` hooks; `health.close()`; exit. Returns a disposer that also exposes
 * `shutdown()`.
 */
export function installShutdown(health: Health, options: ShutdownOptions = {}): ShutdownController {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected shutdown options to be an object, got ${describeValue(options)}`)
  }
  const servers = toServers(options.server)
  const close = options.close
  if (close !== undefined && typeof close !== 'function') {
    throw new TypeError(`Expected \`close\` to be a function, got ${describeValue(close)}`)
  }
  const signals = toSignals(options.signals ?? ['SIGTERM', 'SIGINT'])
  const maxDrainMs = nonNegativeNumber('maxDrainMs', options.maxDrainMs ?? 30_000)
  const drainPollMs = positiveNumber('drainPollMs', options.drainPollMs ?? 100)
  const closeTimeoutMs = positiveNumber('closeTimeoutMs', options.closeTimeoutMs ?? 10_000)
  const hooks = toHooks(options.onShutdown)
  const exitOption = options.exit ?? true
  if (typeof exitOption !== 'boolean' && typeof exitOption !== 'function') {
    throw new TypeError(`Expected \`exit\` to be a boolean or a function, got ${describeValue(exitOption)}`)
  }
  const logger = options.logger ?? console
  if (
    logger === null ||
    typeof logger !== 'object' ||
    typeof logger.info !== 'function' ||
    typeof logger.error !== 'function'
  ) {
    throw new TypeError('Expected `logger` to have `info()` and `error()` methods')
  }
  const info = (message: string) => logger.info(`healthgate: ${message}`)
  const warn = (message: string) => (logger.warn ?? logger.info).call(logger, `healthgate: ${message}`)
  const report = (message: string, error?: unknown) => {
    if (error === undefined) logger.error(`healthgate: ${message}`)
    else logger.error(`healthgate: ${message}`, error)
  }

  let closing = false
  // A second signal arrived: skip what is left of the waiting.
  let hurry = false
  let exited = false
  let disposed = false
  let running: Promise<ShutdownResult> | undefined
  const abort = new AbortController()
  // Set when the sockets have to be cut now (closeTimeoutMs passed, or a second signal).
  let forceClose: (() => void) | undefined

  const exit = (code: number) => {
    if (exited) return
    exited = true
    if (exitOption === true) process.exit(code)
    else if (typeof exitOption === 'function') exitOption(code)
  }

  const tracked: Tracked[] = servers.map((server) => {
    const inFlight = new Set<ServerResponse>()
    const onRequest = (_request: IncomingMessage, response: ServerResponse) => {
      // Once closing, a request that still arrives on an open keep-alive connection is served, and its
      // connection closed after it, so the client does not send the next one into a closing server.
      if (closing) {
        endKeepAlive(server, response)
        return
      }
      inFlight.add(response)
      response.once('close', () => inFlight.delete(response))
    }
    server.prependListener('request', onRequest)
    return { server, inFlight, onRequest }
  })

  const removeRequestListeners = () => {
    for (const { server, onRequest } of tracked) server.removeListener('request', onRequest)
  }

  const run = async (reason: string): Promise<ShutdownResult> => {
    const errors: unknown[] = []
    const fail = (message: string, error: unknown) => {
      errors.push(error)
      report(message, error)
    }

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
      if (drained) info(`drain confirmed after ${drainWaitMs} ms`)
      else {
        const waiting = health
          .drainStatus()
          .probers.filter((prober) => prober.consecutive503 < health.unhealthyThreshold)
          .map((prober) => prober.id)
        warn(
          `drain not confirmed after ${drainWaitMs} ms (probers below the threshold: ${waiting.join(', ') || 'none'})`,
        )
      }
    } else drained = health.drainStatus().drained

    const closeStarted = performance.now()
    const { forcedClose, closeErrors } = await closeServers()
    const closeMs = Math.round(performance.now() - closeStarted)
    for (const error of closeErrors) fail('closing the server failed', error)
    if (forcedClose) {
      fail(
        `in-flight requests still running after closeTimeoutMs (${closeTimeoutMs} ms); connections cut`,
        new Error('closeTimeoutMs exceeded'),
      )
    } else if (servers.length > 0 || close) info(`server closed after ${closeMs} ms`)

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

    removeRequestListeners()
    removeSignalHandlers()
    const code = exited ? SECOND_SIGNAL_CODE : errors.length > 0 ? 1 : 0
    info(`shutdown complete (exit code ${code})`)
    exit(code)
    return { code, reason, drained, drainWaitMs, closeMs, forcedClose, errors }
  }

  const closeServers = async (): Promise<{ forcedClose: boolean; closeErrors: unknown[] }> => {
    closing = true
    const closeErrors: unknown[] = []
    const closed = close
      ? settle(async () => close())
      : Promise.all(servers.map((server) => closeServer(server))).then((results) => results.find(Boolean))
    for (const { server, inFlight } of tracked) {
      for (const response of inFlight) endKeepAlive(server, response)
      server.closeIdleConnections?.()
    }
    let forcedClose = false
    let timer: NodeJS.Timeout | undefined
    const forced = new Promise<'forced'>((resolve) => {
      forceClose = () => resolve('forced')
      timer = setTimeout(forceClose, hurry ? 0 : closeTimeoutMs)
    })
    try {
      let outcome = await Promise.race([closed, forced])
      if (outcome === 'forced') {
        forcedClose = true
        for (const { server } of tracked) server.closeAllConnections?.()
        clearTimeout(timer)
        const stuck = new Promise<'stuck'>((resolve) => {
          timer = setTimeout(() => resolve('stuck'), AFTER_FORCE_MS)
        })
        outcome = await Promise.race([closed, stuck])
        if (outcome === 'stuck') {
          closeErrors.push(
            new Error(`the server did not close ${AFTER_FORCE_MS} ms after cutting its connections`),
          )
        }
      }
      if (outcome !== undefined && outcome !== 'forced' && outcome !== 'stuck') closeErrors.push(outcome)
    } finally {
      clearTimeout(timer)
    }
    return { forcedClose, closeErrors }
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
    hurry = true
    abort.abort()
    forceClose?.()
    for (const { server } of tracked) server.closeAllConnections?.()
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
    if (!running) removeRequestListeners()
  }

  return Object.defineProperties(() => dispose(), {
    dispose: { value: dispose },
    shutdown: { value: shutdown },
    started: { get: () => running !== undefined },
  }) as ShutdownController
}

/** Makes the response close its connection after it, or, if its headers are out already, closes it once idle. */
function endKeepAlive(server: ShutdownServer, response: ServerResponse): void {
  if (!response.headersSent) {
    response.shouldKeepAlive = false
    return
  }
  // Node only marks the connection idle after 'finish'; close it on the next turn.
  response.once('finish', () => setImmediate(() => server.closeIdleConnections?.()))
}

function closeServer(server: ShutdownServer): Promise<unknown> {
  return new Promise((resolve) => {
    try {
      server.close((error) => {
        resolve(
          error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? error : undefined,
        )
      })
    } catch (error) {
      resolve(error)
    }
  })
}

async function settle(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn()
    return undefined
  } catch (error) {
    return error ?? new Error('close() rejected without a reason')
  }
}

function nonNegativeNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${name}\` to be a non-negative number, got \`${String(value)}\``)
  }
  return value
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
      throw new TypeError(
        `Expected \`server\` to be a node:http server (e.g. the result of \`app.listen()\`), got ${describeValue(server)}`,
      )
    }
  }
  return [...list]
}

function toSignals(value: unknown): NodeJS.Signals[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`Expected \`signals\` to be an array of signal names, got ${describeValue(value)}`)
  }
  for (const signal of value) {
    if (typeof signal !== 'string' || !(signal in constants.signals) || UNCATCHABLE.has(signal)) {
      throw new TypeError(
        `Expected \`signals\` to contain catchable signal names like 'SIGTERM', got ${describeValue(signal)}`,
      )
    }
  }
  return [...new Set(value as NodeJS.Signals[])]
}

function toHooks(value: unknown): ShutdownHook[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  list.forEach((hook, index) => {
    if (typeof hook !== 'function') {
      throw new TypeError(`Expected \`onShutdown[${index}]\` to be a function, got ${describeValue(hook)}`)
    }
  })
  return list as ShutdownHook[]
}
