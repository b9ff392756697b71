import type { AddressInfo } from 'node:net'
import { createHealth, Health } from '@healthgate/core'
import { HEALTHGATE_HEALTH, HealthgateModule } from '@healthgate/nestjs'
import { type INestApplication, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { createNestApp, type NestPlatform, textController } from '../../../test/conformance/nest.js'
import { request } from '../../../test/support/http.js'

const apps: INestApplication[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

async function listen(app: INestApplication): Promise<number> {
  apps.push(app)
  await app.listen(0, '127.0.0.1')
  return (app.getHttpServer().address() as AddressInfo).port
}

const failing = (critical: boolean) => ({
  name: 'db',
  critical,
  check: async () => {
    throw new Error('connection refused')
  },
})

test.each([false, true])(
  'Fastify platform with fastPath: %s: Fastify sees the health requests only without it',
  async (fastPath) => {
    const app = await createNestApp({
      platform: 'fastify',
      health: { fastPath },
      controllers: [textController(['/'], 'app')],
    })
    const seen: string[] = []
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', async (req: { url: string }) => {
        seen.push(req.url)
      })
    const port = await listen(app)
    expect((await request(port, '/health/ready')).status).toBe(200)
    expect((await request(port, '/')).body).toBe('app')
    expect(seen).toEqual(fastPath ? ['/'] : ['/health/ready', '/'])
  },
)

describe.each<NestPlatform>(['express', 'fastify'])('on @nestjs/platform-%s', (platform) => {
  it('answers 503, not 200, when a critical check fails; 200 (warn) when only a non-critical one does', async () => {
    const port = await listen(await createNestApp({ platform, health: { checks: [failing(true)] } }))
    const down = await request(port, '/health')
    expect([down.status, JSON.parse(down.body).status]).toEqual([503, 'fail'])
    expect(down.headers['retry-after']).toBeDefined()
    expect((await request(port, '/health/live')).status).toBe(200)

    const degraded = await listen(await createNestApp({ platform, health: { checks: [failing(false)] } }))
    const warn = await request(degraded, '/health')
    expect([warn.status, JSON.parse(warn.body).status]).toEqual([200, 'warn'])
  })

  it('serves the routes next to the app, ahead of it, under the given path', async () => {
    const app = await createNestApp({
      platform,
      health: { path: '/ops/health' },
      controllers: [textController(['/'], 'app')],
    })
    const port = await listen(app)
    expect((await request(port, '/ops/health/ready')).status).toBe(200)
    expect((await request(port, '/')).body).toBe('app')
    expect((await request(port, '/health')).status).toBe(404)
  })

  it('provides the Health under HEALTHGATE_HEALTH and its class, to every module', async () => {
    const health = createHealth()
    class ConsumerModule {}
    const seen: unknown[] = []
    Module({
      providers: [
        {
          provide: 'consumer',
          useFactory: (byToken: Health, byClass: Health) => seen.push(byToken, byClass),
          inject: [HEALTHGATE_HEALTH, Health],
        },
      ],
    })(ConsumerModule)
    const app = await createNestApp({ platform, health: { health }, imports: [{ module: ConsumerModule }] })
    const port = await listen(app)
    expect(seen).toEqual([health, health])
    health.add({ name: 'added-by-a-service', check: failing(true).check })
    expect((await request(port, '/health')).status).toBe(503)
  })

  it('closes the health with the app unless closeHealth is false; app.close() alone does not drain', async () => {
    const owned = createHealth()
    const kept = createHealth()
    const first = await createNestApp({ platform, health: { health: owned } })
    const second = await createNestApp({ platform, health: { health: kept, closeHealth: false } })
    await first.listen(0, '127.0.0.1')
    await second.listen(0, '127.0.0.1')
    const started = performance.now()
    await first.close()
    await second.close()
    expect(performance.now() - started).toBeLessThan(2000)
    expect([owned.state, kept.state]).toEqual(['stopped', 'ready'])
    await kept.close()
  })

  it("logs check transitions through Nest's Logger when the health has no logger, and keeps a health's own", async () => {
    const lines: string[] = []
    const record = (message: unknown, context?: unknown) => void lines.push(`${context}: ${message}`)
    const logger = { log: record, warn: record, error: record }
    const port = await listen(await createNestApp({ platform, health: { checks: [failing(true)] }, logger }))
    expect((await request(port, '/health')).status).toBe(503)
    expect(lines).toContain('Healthgate: healthgate: check "db" unknown -> fail: connection refused')

    const own: string[] = []
    const mine = {
      info: (_: object, m: string) => own.push(m),
      warn: (_: object, m: string) => own.push(m),
      error() {},
    }
    lines.length = 0
    const health = createHealth({ checks: [failing(true)], logger: mine })
    const second = await listen(await createNestApp({ platform, health: { health }, logger }))
    expect((await request(second, '/health')).status).toBe(503)
    expect(own).toContain('healthgate: check "db" unknown -> fail')
    expect(lines.filter((line) => line.includes('check "db"'))).toEqual([])
    await health.close()
  })

  it("logs the shutdown steps through Nest's Logger when the health has no logger", async () => {
    const lines: string[] = []
    const record = (message: unknown, context?: unknown) => void lines.push(`${context}: ${message}`)
    const logger = { log: record, warn: record, error: record }
    const app = await createNestApp({ platform, health: { shutdown: { maxDrainMs: 0 } }, logger })
    await listen(app)
    await (app as unknown as { close(signal: string): Promise<void> }).close('SIGTERM')
    apps.splice(apps.indexOf(app), 1)
    expect(lines).toContain('Healthgate: healthgate: SIGTERM: draining (readiness answers 503)')
    expect(lines).toContain('Healthgate: healthgate: shutdown complete (exit code 0)')
  })

  it('on a signal, keeps the server open until the drain is over (app.close(signal) as the shutdown hooks call it)', async () => {
    const health = createHealth()
    const app = await createNestApp({
      platform,
      health: { health, shutdown: { maxDrainMs: 400, drainPollMs: 20, logger: { info() {}, error() {} } } },
    })
    const port = await listen(app)
    const probe = () =>
      request(port, '/health/ready', { headers: { 'user-agent': 'kube-probe/1.31' } }).then(
        (reply) => reply.status,
        () => 'closed' as const,
      )
    expect(await probe()).toBe(200)
    // What Nest's shutdown hooks call on SIGTERM; the public type of close() has no parameter.
    const closing = (app as unknown as { close(signal: string): Promise<void> }).close('SIGTERM')
    // The balancer keeps probing: it sees 503s while the server is still open, until the drain is confirmed
    // (two 503s, `unhealthyThreshold`); only then does Nest close the server.
    const statuses: Array<number | 'closed'> = []
    while (statuses.at(-1) !== 'closed' && statuses.length < 50) statuses.push(await probe())
    await closing
    apps.splice(apps.indexOf(app), 1)
    expect(statuses.slice(0, 2)).toEqual([503, 503])
    expect(statuses.at(-1)).toBe('closed')
    expect(statuses.slice(0, -1).every((status) => status === 503)).toBe(true)
    expect(health.state).toBe('stopped')
    await expect(request(port, '/health/ready')).rejects.toThrow()
  })
})

describe('without HTTP', () => {
  it('an application context (a worker, a gRPC service) still gets the injectable Health, and closes it', async () => {
    class WorkerModule {}
    Module({ imports: [HealthgateModule.forRoot({ checks: [failing(true)] })] })(WorkerModule)
    const context = await NestFactory.createApplicationContext(WorkerModule, { logger: false })
    const health = context.get<Health>(HEALTHGATE_HEALTH)
    expect((await health.evaluate()).status).toBe('fail')
    await context.close()
    expect(health.state).toBe('stopped')
  })
})

describe('options', () => {
  it('names an unknown option and suggests the right one', () => {
    expect(() => HealthgateModule.forRoot({ adminTokn: 'x' } as never)).toThrow(
      /HealthgateModule.forRoot\(\): unknown option `adminTokn`; did you mean `adminToken`\?/,
    )
    expect(() => HealthgateModule.forRoot({ check: [] } as never)).toThrow(/did you mean `checks`\?/)
  })

  it('refuses createHealth() options next to a health, and bad values of its own options', () => {
    expect(() => HealthgateModule.forRoot({ health: createHealth(), version: '1' })).toThrow(
      'HealthgateModule.forRoot(): `version` is an option of createHealth(); with `health` given, pass it to createHealth() instead',
    )
    expect(() => HealthgateModule.forRoot({ health: {} as never })).toThrow(
      'HealthgateModule.forRoot(): expected `health` to be a Health created by createHealth()',
    )
    expect(() => HealthgateModule.forRoot({ shutdown: 'yes' as never })).toThrow(
      'HealthgateModule.forRoot(): expected `shutdown` to be a boolean or the options of installShutdown()',
    )
    expect(() => HealthgateModule.forRoot({ shutdown: { exit: false } as never })).toThrow(
      /HealthgateModule.forRoot shutdown: unknown option `exit`/,
    )
  })

  it('checks forRootAsync() options, and the factory result like forRoot() options', async () => {
    expect(() => HealthgateModule.forRootAsync({} as never)).toThrow(
      'HealthgateModule.forRootAsync(): expected `useFactory` to be a function returning the module options',
    )
    expect(() => HealthgateModule.forRootAsync({ useFactory: () => ({}), inject: 'x' } as never)).toThrow(
      'HealthgateModule.forRootAsync(): expected `inject` to be an array',
    )
    await expect(
      createNestApp({
        platform: 'express',
        health: { async: { useFactory: async () => ({ pth: '/x' }) as never } },
      }),
    ).rejects.toThrow(/unknown option `pth`; did you mean `path`\?/)
  })
})
