import type { Server } from 'node:http'
import {
  attachHealth,
  type HealthLogger,
  installShutdown,
  type ShutdownController,
  type ShutdownLogger,
  type ShutdownResult,
} from '@healthgate/core'
import { createHandlerFor } from '@healthgate/core/adapter'
import healthgate from '@healthgate/fastify'
import type {
  BeforeApplicationShutdown,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common'
import { Logger } from '@nestjs/common'
import type { HttpAdapterHost } from '@nestjs/core'
import { OWNER, type ResolvedOptions } from './options.js'

/** What the module needs of Nest's HTTP adapter (`HttpAdapterHost.httpAdapter`). */
interface HttpAdapterLike {
  getType(): string
  getInstance(): unknown
  getHttpServer(): unknown
}

interface FastifyLike {
  register(plugin: unknown, options: unknown): PromiseLike<unknown>
  server: Server
}

/**
 * The module's provider that ties the health to the application: mounts the health routes on the platform when
 * the module initialises, and on a shutdown signal drains before Nest closes the HTTP server.
 */
export class HealthgateLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  readonly #options: ResolvedOptions
  readonly #adapterHost: HttpAdapterHost | undefined
  #server: Server | undefined
  #controller: ShutdownController | undefined
  #running: Promise<ShutdownResult> | undefined
  // Resolved when the drain is over and installShutdown() asks for the server to be closed, which Nest then does.
  readonly #closeAsked = deferred()
  readonly #serverClosed = deferred()
  // Read before the Fastify plugin hands the health Fastify's logger: shutdown steps go to Nest's Logger unless
  // the app gave the health a logger of its own.
  readonly #healthLogs: boolean
  #restoreLogger: (() => void) | undefined

  constructor(options: ResolvedOptions, adapterHost: HttpAdapterHost | undefined) {
    this.#options = options
    this.#adapterHost = adapterHost
    this.#healthLogs = options.health.logs === true
  }

  /** Mounts the health routes on the platform (Express: ahead of it; Fastify: through the plugin). */
  async onModuleInit(): Promise<void> {
    const { health } = this.#options
    // Check transitions, readiness and maintenance changes go to Nest's Logger, as the rest of a Nest app's
    // logs do, unless the health has a logger of its own. Before the Fastify plugin, which would otherwise hand
    // the health Fastify's logger (silent under Nest unless the app configured one).
    if (!this.#healthLogs && !health.logs) this.#restoreLogger = health.useLogger(nestHealthLogger())
    const adapter = this.#adapterHost?.httpAdapter as HttpAdapterLike | undefined
    // An application context without HTTP (a worker, a microservice): the health is still injectable.
    if (!adapter) return
    const { handler: handlerOptions, fastPath } = this.#options
    // Made on both platforms, so that a bad handler option is reported under the module's name.
    const handler = createHandlerFor(OWNER, health, handlerOptions)
    const type = adapter.getType()
    if (type === 'fastify') {
      const fastify = adapter.getInstance() as FastifyLike
      // The plugin's routes live in their own scope, with its own body handling: Nest's parsers never see them.
      await fastify.register(healthgate, { ...handlerOptions, health, closeHealth: false, fastPath })
      this.#server = fastify.server
    } else if (type === 'express') {
      const server = adapter.getHttpServer() as Server
      // Ahead of Nest's body parsers, middleware and guards, as on every other adapter (the fast path).
      attachHealth(server, health, handler)
      this.#server = server
    } else {
      throw new Error(
        `${OWNER}(): the HTTP platform "${type}" is not supported; use @nestjs/platform-express or @nestjs/platform-fastify`,
      )
    }
  }

  /** Prepares the drain: tracks in-flight requests from now on, so that none is cut at shutdown. */
  onApplicationBootstrap(): void {
    const { health, shutdown } = this.#options
    if (!shutdown || !this.#server) return
    this.#controller = installShutdown(health, {
      logger: this.#healthLogs ? undefined : nestLogger(),
      ...shutdown,
      // Nest owns the signals and the exit (app.enableShutdownHooks()) and closes the server itself.
      signals: [],
      exit: false,
      server: this.#server,
      close: () => {
        this.#closeAsked.resolve()
        return this.#serverClosed.promise
      },
    })
  }

  /** On a signal: drain, then return so that Nest closes the HTTP server. `app.close()` alone does not drain. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    if (!signal || !this.#controller) return
    this.#running = this.#controller.shutdown(signal)
    await Promise.race([this.#closeAsked.promise, this.#running])
  }

  /** Nest closed the server: the shutdown runs its hooks and closes the health. */
  async onApplicationShutdown(): Promise<void> {
    this.#serverClosed.resolve()
    if (this.#running) {
      await this.#running
      return
    }
    this.#controller?.dispose()
    if (this.#options.closeHealth) await this.#options.health.close()
    this.#restoreLogger?.()
  }
}

function nestLogger(): ShutdownLogger {
  const logger = new Logger('Healthgate')
  return {
    info: (message) => logger.log(message),
    warn: (message) => logger.warn(message),
    error: (message, error) => logger.error(message, error instanceof Error ? error.message : undefined),
  }
}

/**
 * Nest's Logger, context `Healthgate`, as the health's logger: the message at the matching level, followed by
 * the check's output (already sanitized) when the line has one, since Nest's Logger prints no fields.
 */
function nestHealthLogger(): HealthLogger {
  const logger = new Logger('Healthgate')
  const line = (fields: object, message: string): string => {
    const { output } = fields as { output?: unknown }
    return typeof output === 'string' && output !== '' && !message.includes(output)
      ? `${message}: ${output}`
      : message
  }
  return {
    info: (fields, message) => logger.log(line(fields, message)),
    warn: (fields, message) => logger.warn(line(fields, message)),
    error: (fields, message) => logger.error(line(fields, message)),
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}
