// A Nest application the way a user wires one, for the conformance suite and the Nest tests: the health module,
// an app controller and a not-found filter, on either HTTP platform. Decorators are applied as functions so
// that the test transform needs no decorator support.
import 'reflect-metadata'
import type { HealthgateModuleAsyncOptions, HealthgateModuleOptions } from '@healthgate/nestjs'
import { HealthgateModule } from '@healthgate/nestjs'
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type DynamicModule,
  type ExceptionFilter,
  Get,
  Header,
  type INestApplication,
  type LoggerService,
  Module,
  NotFoundException,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'

export type NestPlatform = 'express' | 'fastify'

/** Serves `body` on each of `routes` (GET) as text/plain. */
export function textController(routes: string[], body: string): new () => object {
  class AppController {
    answer(): string {
      return body
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(AppController.prototype, 'answer')
  if (!descriptor) throw new Error('no answer()')
  Header('Content-Type', 'text/plain; charset=utf-8')(AppController.prototype, 'answer', descriptor)
  Get(routes)(AppController.prototype, 'answer', descriptor)
  Controller()(AppController)
  return AppController
}

/** Answers every unknown route 404 with `body` as text/plain, whatever the platform. */
export function notFoundFilter(app: INestApplication, body: string): ExceptionFilter {
  class NotFoundFilter implements ExceptionFilter {
    catch(_exception: NotFoundException, host: ArgumentsHost): void {
      const adapter = app.getHttpAdapter()
      const response = host.switchToHttp().getResponse()
      adapter.setHeader(response, 'Content-Type', 'text/plain; charset=utf-8')
      adapter.reply(response, body, 404)
    }
  }
  Catch(NotFoundException)(NotFoundFilter)
  return new NotFoundFilter()
}

export interface NestAppOptions {
  platform: NestPlatform
  /** `HealthgateModule.forRoot()` options, or `forRootAsync()` ones. */
  health: HealthgateModuleOptions | { async: HealthgateModuleAsyncOptions }
  controllers?: Array<new () => object>
  imports?: DynamicModule[]
  /** Nest's logger. Default: `false` (silent). */
  logger?: LoggerService | false
}

/** Creates (without listening) a Nest application with the health module. */
export async function createNestApp(options: NestAppOptions): Promise<INestApplication> {
  const healthModule =
    'async' in options.health
      ? HealthgateModule.forRootAsync(options.health.async)
      : HealthgateModule.forRoot(options.health)
  class AppModule {}
  Module({
    imports: [...(options.imports ?? []), healthModule],
    controllers: options.controllers ?? [],
  })(AppModule)
  return NestFactory.create(
    AppModule,
    options.platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
    {
      logger: options.logger ?? false,
      abortOnError: false,
    },
  )
}
