import 'reflect-metadata'
import { once } from 'node:events'
import { HealthgateModule, tuneForLoadBalancer } from '@healthgate/nestjs'
import { Controller, Get, Header, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { startDemo } from '../shared/demo.mjs'

/**
 * Starts the demo app: a Nest app (NEST_PLATFORM=express, the default, or fastify) with one route of its own,
 * GET /metrics and the health routes under /health, served by HealthgateModule. Resolves
 * `{ server, health, url, adminToken, close }` once it listens; `close()` closes Nest, the health and the
 * clients the checks use.
 */
export function createDemo(env = process.env) {
  const platform = env.NEST_PLATFORM || 'express'
  if (platform !== 'express' && platform !== 'fastify') {
    throw new Error(`Expected NEST_PLATFORM to be 'express' or 'fastify', got ${JSON.stringify(platform)}`)
  }
  const serve = (options) => serveNest(platform, options)
  return startDemo({ id: 'nest', packageUrl: new URL('./package.json', import.meta.url), serve }, env)
}

async function serveNest(platform, { health, adminToken, adminRoutes, port, host, metrics }) {
  // Plain JavaScript: the decorators are applied as functions. In TypeScript, write @Controller(), @Get().
  class AppController {
    index() {
      return { hello: `from the healthgate NestJS demo (${platform} platform)`, health: '/health' }
    }
    async metrics() {
      return metrics.metrics()
    }
  }
  const method = (name) => Object.getOwnPropertyDescriptor(AppController.prototype, name)
  Get('/')(AppController.prototype, 'index', method('index'))
  Header('Content-Type', metrics.contentType)(AppController.prototype, 'metrics', method('metrics'))
  Get('/metrics')(AppController.prototype, 'metrics', method('metrics'))
  Controller()(AppController)

  class AppModule {}
  Module({
    // The shared demo code owns the health and the graceful shutdown (installShutdown on SIGTERM), as in the
    // other demos; in an app of your own, leave `shutdown` on and call app.enableShutdownHooks().
    imports: [
      HealthgateModule.forRoot({ health, adminToken, adminRoutes, closeHealth: false, shutdown: false }),
    ],
    controllers: [AppController],
  })(AppModule)

  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter()
  const app = await NestFactory.create(AppModule, adapter, { logger: ['error', 'warn'], abortOnError: false })
  const server = tuneForLoadBalancer(app.getHttpServer())
  try {
    await app.listen(port, host)
  } catch (error) {
    await app.close()
    throw error
  }
  if (!server.listening) await once(server, 'listening')
  return { server, stop: () => app.close() }
}
