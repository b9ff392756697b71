import { createHealth, Health } from '@healthgate/core'
import { optionReader } from '@healthgate/core/primitives'
import type {
  DynamicModule,
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Provider,
} from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import { HealthgateLifecycle } from './lifecycle.js'
import {
  checkOptions,
  type HealthgateModuleOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'

/**
 * The injection token of the application's `Health`: `@Inject(HEALTHGATE_HEALTH) health: Health`. The `Health`
 * class is a token too, so with decorator metadata `constructor(private readonly health: Health)` works as well.
 */
export const HEALTHGATE_HEALTH: unique symbol = Symbol.for('@healthgate/nestjs:health')
const RESOLVED = Symbol('@healthgate/nestjs:options')

/** Options of {@link HealthgateModule.forRootAsync}: the module's options made by a factory from injected providers. */
export interface HealthgateModuleAsyncOptions {
  /** Modules exporting the providers the factory injects (e.g. the one providing a pg `Pool`). Default: none. */
  imports?: ModuleMetadata['imports']
  /** Tokens of the providers handed to `useFactory`, in order. Default: none. */
  inject?: Array<InjectionToken | OptionalFactoryDependency>
  /** Returns the module's options (as `forRoot()` takes them); may be async. Required. */
  // biome-ignore lint/suspicious/noExplicitAny: Nest hands the injected providers in untyped, as its own modules do.
  useFactory: (...args: any[]) => HealthgateModuleOptions | Promise<HealthgateModuleOptions>
  /** Extra providers for the factory to inject, local to this module. Default: none. */
  extraProviders?: Provider[]
  /** Make the `Health` injectable in every module without importing this one. Default: `true`. */
  global?: boolean
}

const ASYNC_KEYS = Object.keys({
  imports: true,
  inject: true,
  useFactory: true,
  extraProviders: true,
  global: true,
} satisfies Record<keyof HealthgateModuleAsyncOptions, true>)

/**
 * Serves the health routes on the application's HTTP platform (Express or Fastify), provides the `Health` for
 * injection, and drains on shutdown signals before Nest closes the server.
 *
 * ```ts
 * HealthgateModule.forRoot({ checks: [memoryCheck()], adminToken: process.env.HEALTHGATE_ADMIN_TOKEN })
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class, configured through static methods.
export class HealthgateModule {
  /** The module with options known up front; the `Health` is global (injectable everywhere). */
  static forRoot(options: HealthgateModuleOptions = {}): DynamicModule {
    checkOptions(options)
    return build([{ provide: RESOLVED, useFactory: () => resolveOptions(options, createHealth) }], [], true)
  }

  /**
   * The module with options built from injected providers, e.g. checks on the app's pg `Pool` or Redis client:
   * `forRootAsync({ imports: [DbModule], inject: [Pool], useFactory: (pool) => ({ checks: [pgCheck({ pool })] }) })`.
   */
  static forRootAsync(options: HealthgateModuleAsyncOptions): DynamicModule {
    const read = optionReader('HealthgateModule.forRootAsync')
    const given = read.object(options, ASYNC_KEYS) as unknown as HealthgateModuleAsyncOptions
    const useFactory = read.func<HealthgateModuleAsyncOptions['useFactory']>('useFactory', given.useFactory)
    if (!useFactory) return read.fail('useFactory', 'a function returning the module options', undefined)
    for (const key of ['imports', 'inject', 'extraProviders'] as const) {
      if (given[key] !== undefined && !Array.isArray(given[key])) read.fail(key, 'an array', given[key])
    }
    const global = read.boolean('global', given.global, true)
    return build(
      [
        ...(given.extraProviders ?? []),
        {
          provide: RESOLVED,
          useFactory: async (...args: unknown[]) => resolveOptions(await useFactory(...args), createHealth),
          inject: given.inject ?? [],
        },
      ],
      given.imports ?? [],
      global,
    )
  }
}

function build(
  providers: Provider[],
  imports: NonNullable<ModuleMetadata['imports']>,
  global: boolean,
): DynamicModule {
  return {
    module: HealthgateModule,
    global,
    imports,
    providers: [
      ...providers,
      {
        provide: HEALTHGATE_HEALTH,
        useFactory: (resolved: ResolvedOptions) => resolved.health,
        inject: [RESOLVED],
      },
      { provide: Health, useExisting: HEALTHGATE_HEALTH },
      {
        provide: HealthgateLifecycle,
        useFactory: (resolved: ResolvedOptions, adapterHost?: HttpAdapterHost) =>
          new HealthgateLifecycle(resolved, adapterHost),
        inject: [RESOLVED, { token: HttpAdapterHost, optional: true }],
      },
    ],
    exports: [HEALTHGATE_HEALTH, Health],
  }
}
