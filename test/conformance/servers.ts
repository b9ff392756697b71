import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createNodeListener, type HandlerOptions, type Health } from '@healthgate/core'
import { attachHealth, healthRouter } from '@healthgate/express'
import { healthgate } from '@healthgate/fastify'
import { healthgate as honoHealthgate } from '@healthgate/hono'
import { serve } from '@hono/node-server'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { Hono } from 'hono'
import type { RequestOptions } from '../support/http.js'
import { createNestApp, notFoundFilter, textController } from './nest.js'

/** The servers in this process; runtimes.ts has those in Bun and Deno (RUNTIME_KINDS). */
export const SERVER_KINDS = [
  'express5',
  'express4',
  'fastify',
  'node',
  'hono-node',
  'nest-express',
  'nest-fastify',
  'nest-fastify-fast',
  // The fast path (attachHealth): the health routes answered on the server, before the framework.
  'express5-fast',
  'express4-fast',
  'fastify-fast',
] as const
export type ServerKind = (typeof SERVER_KINDS)[number]

export interface RunningServer {
  kind: ServerKind
  port: number
  close(): Promise<void>
}

import { APP_BODY, APP_NOT_FOUND, APP_ROUTES } from './app.js'

export { APP_BODY, APP_NOT_FOUND, APP_ROUTES }

/**
 * Starts one server of the given kind on a loopback port, serving the health routes with `options`
 * and the app routes, the way a user would wire each framework.
 */
export async function startServer(
  kind: ServerKind,
  health: Health,
  options: HandlerOptions,
): Promise<RunningServer> {
  switch (kind) {
    case 'express5':
    case 'express4':
    case 'express5-fast':
    case 'express4-fast': {
      const fast = kind.endsWith('-fast')
      const app = kind.startsWith('express5') ? express5() : express4()
      if (!fast) app.use(healthRouter(health, options))
      for (const route of APP_ROUTES)
        app.get(route, (_request, response) => void response.type('text').send(APP_BODY))
      app.use((_request, response) => void response.status(404).type('text').send(APP_NOT_FOUND))
      const server = app.listen(0, '127.0.0.1')
      if (fast) attachHealth(server, health, options)
      return listen(kind, server)
    }
    case 'fastify':
    case 'fastify-fast': {
      const app = Fastify()
      const fastPath = kind === 'fastify-fast'
      await app.register(healthgate, { health, closeHealth: false, fastPath, ...options })
      for (const route of APP_ROUTES)
        app.get(route, async (_request, reply) => reply.type('text/plain').send(APP_BODY))
      app.setNotFoundHandler(async (_request, reply) =>
        reply.code(404).type('text/plain').send(APP_NOT_FOUND),
      )
      await app.listen({ port: 0, host: '127.0.0.1' })
      return { kind, port: (app.server.address() as AddressInfo).port, close: () => app.close() }
    }
    case 'node': {
      const { createServer } = await import('node:http')
      const listener = createNodeListener(health, options)
      const server = createServer((request, response) =>
        listener(request, response, () => {
          if (request.method === 'GET' && APP_ROUTES.includes(request.url ?? '')) {
            response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(APP_BODY)
          } else {
            response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(APP_NOT_FOUND)
          }
        }),
      )
      return listen(kind, server.listen(0, '127.0.0.1'))
    }
    case 'nest-express':
    case 'nest-fastify':
    case 'nest-fastify-fast': {
      // Nest on Express always answers ahead of Express (the fast path); on Fastify it is the `fastPath` option.
      const app = await createNestApp({
        platform: kind === 'nest-express' ? 'express' : 'fastify',
        health: {
          health,
          closeHealth: false,
          shutdown: false,
          fastPath: kind === 'nest-fastify-fast',
          ...options,
        },
        controllers: [textController(APP_ROUTES, APP_BODY)],
      })
      app.useGlobalFilters(notFoundFilter(app, APP_NOT_FOUND))
      await app.listen(0, '127.0.0.1')
      const server = app.getHttpServer() as Server
      return { kind, port: (server.address() as AddressInfo).port, close: () => app.close() }
    }
    case 'hono-node': {
      const app = new Hono()
      app.use(honoHealthgate(health, options))
      for (const route of APP_ROUTES) app.get(route, (c) => c.text(APP_BODY))
      app.notFound((c) => c.text(APP_NOT_FOUND, 404))
      return listen(kind, serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server)
    }
  }
}

async function listen(kind: ServerKind, server: Server): Promise<RunningServer> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
  }
  return {
    kind,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

/** A request of the table: what `request()` sends, plus its method and path. */
export interface TestRequest extends RequestOptions {
  method: string
  path: string
}
