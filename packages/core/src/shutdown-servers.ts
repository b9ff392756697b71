import type { IncomingMessage, ServerResponse } from 'node:http'
import { sleep } from './primitives/deadline.js'
import { markRequestObserver } from './server-observers.js'

/**
 * What a graceful shutdown needs of a server: a `node:http` or `node:https` server, such as Express's
 * `app.listen()` or `fastify.server`. `closeIdleConnections()`/`closeAllConnections()` exist since Node 18.2.
 */
export interface ShutdownServer {
  /** Stops accepting connections (as `http.Server#close`). */
  close(callback?: (error?: Error) => void): unknown
  /** Closes the idle keep-alive connections (Node.js 18.2+). */
  closeIdleConnections?(): void
  /** Closes every connection (Node.js 18.2+), used once the grace period is over. */
  closeAllConnections?(): void
  /** Adds a listener ahead of the others (used to mark responses `Connection: close` while draining). */
  prependListener(
    event: 'request',
    listener: (request: IncomingMessage, response: ServerResponse) => void,
  ): unknown
  /** Removes a listener added with `prependListener`. */
  removeListener(
    event: 'request',
    listener: (request: IncomingMessage, response: ServerResponse) => void,
  ): unknown
}

export interface CloseOutcome {
  /** The timeout passed (or `cutNow()` was called) and the remaining connections were cut. */
  forcedClose: boolean
  closeErrors: unknown[]
}

interface Tracked {
  server: ShutdownServer
  inFlight: Set<ServerResponse>
  onRequest: (request: IncomingMessage, response: ServerResponse) => void
}

/** After cutting the sockets, how long to wait for the server's close callback before going on regardless. */
const AFTER_FORCE_MS = 1000
const FORCED = Symbol('forced')
const STUCK = Symbol('stuck')

/**
 * Closes servers without failing a request: tracks in-flight requests from the start, then stops accepting,
 * closes idle keep-alive connections, answers what is still running with `Connection: close`, and cuts the
 * connections left when the timeout passes.
 */
export class ServerCloser {
  readonly #servers: readonly ShutdownServer[]
  readonly #close: (() => unknown) | undefined
  readonly #tracked: Tracked[]
  #closing = false
  #hurry = false
  #cut: (() => void) | undefined

  /** `close` replaces `server.close()` (e.g. `fastify.close()`); connection handling still applies. */
  constructor(servers: readonly ShutdownServer[], close?: () => unknown) {
    this.#servers = servers
    this.#close = close
    this.#tracked = servers.map((server) => {
      const inFlight = new Set<ServerResponse>()
      // Marked: a fast path attached before (attachHealth) still hands it the requests it answers.
      const onRequest = markRequestObserver((_request: IncomingMessage, response: ServerResponse) => {
        // Once closing, a request that still arrives on an open keep-alive connection is served, and its
        // connection closed after it, so the client does not send the next one into a closing server.
        if (this.#closing) {
          endKeepAlive(server, response)
          return
        }
        inFlight.add(response)
        response.once('close', () => inFlight.delete(response))
      })
      server.prependListener('request', onRequest)
      return { server, inFlight, onRequest }
    })
  }

  removeListeners(): void {
    for (const { server, onRequest } of this.#tracked) server.removeListener('request', onRequest)
  }

  /** Cuts every connection now, and makes a close still to come cut them at once (a second signal). */
  cutNow(): void {
    this.#hurry = true
    this.#cut?.()
    for (const { server } of this.#tracked) server.closeAllConnections?.()
  }

  async close(timeoutMs: number): Promise<CloseOutcome> {
    this.#closing = true
    const closeErrors: unknown[] = []
    const close = this.#close
    const closed = close
      ? settle(close)
      : Promise.all(this.#servers.map(closeServer)).then((results) => results.find(Boolean))
    for (const { server, inFlight } of this.#tracked) {
      for (const response of inFlight) endKeepAlive(server, response)
      server.closeIdleConnections?.()
    }
    // Aborted by cutNow(), and once the close settled so that no timer is left behind.
    const wake = new AbortController()
    this.#cut = () => wake.abort()
    const after = <T>(ms: number, value: T) =>
      sleep(ms, { signal: wake.signal }).then(
        () => value,
        () => value,
      )
    let forcedClose = false
    try {
      let outcome = await Promise.race([closed, after(this.#hurry ? 0 : timeoutMs, FORCED)])
      if (outcome === FORCED) {
        forcedClose = true
        for (const { server } of this.#tracked) server.closeAllConnections?.()
        this.#cut = undefined
        const stuck = new AbortController()
        outcome = await Promise.race([
          closed,
          sleep(AFTER_FORCE_MS, { signal: stuck.signal }).then(() => STUCK),
        ]).finally(() => stuck.abort())
        if (outcome === STUCK) {
          closeErrors.push(
            new Error(`the server did not close ${AFTER_FORCE_MS} ms after cutting its connections`),
          )
        }
      }
      if (outcome !== undefined && outcome !== FORCED && outcome !== STUCK) closeErrors.push(outcome)
    } finally {
      wake.abort()
    }
    return { forcedClose, closeErrors }
  }
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

async function settle(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
    return undefined
  } catch (error) {
    return error ?? new Error('close() rejected without a reason')
  }
}
