// Every factory rejects a misspelt option the same way: a TypeError naming the function, the option,
// the closest known one and the list of known ones, instead of silently falling back to a default.
// Covers every public factory and plugin: core, checks, drivers, adapters (Nest module included), failover and the CLI.

import { createServer } from 'node:http'
import { amqpCheck } from '@healthgate/amqp'
import {
  attachHealth,
  cpuCheck,
  createAdminListener,
  createHandler,
  createHealth,
  createNodeListener,
  defineCheck,
  diskCheck,
  eventLoopCheck,
  fileMaintenance,
  httpCheck,
  installShutdown,
  memoryCheck,
  memoryMaintenance,
  queryCheck,
  tcpCheck,
} from '@healthgate/core'
import { createFetchHandler } from '@healthgate/core/fetch'
import { healthRouter } from '@healthgate/express'
import { createFailover, serveActive } from '@healthgate/failover'
import healthgate from '@healthgate/fastify'
import { addHealthService, shutdownGrpcServer } from '@healthgate/grpc'
import { healthgate as honoHealthgate } from '@healthgate/hono'
import { mqttCheck } from '@healthgate/mqtt'
import { mysqlCheck } from '@healthgate/mysql'
import { natsCheck } from '@healthgate/nats'
import { HealthgateModule } from '@healthgate/nestjs'
import { otelMetrics } from '@healthgate/otel'
import { pgCheck } from '@healthgate/pg'
import { healthMetrics } from '@healthgate/prometheus'
import { redisCheck, redisFleet, redisMaintenance } from '@healthgate/redis'
import Fastify from 'fastify'
import { run } from '../cli/run.js'

const redis = { status: 'ready', ping: async () => 'PONG' } as never
const endpoints = [
  { name: 'a', healthUrl: 'http://127.0.0.1:1/', connectUrl: 'wss://a.example.com/' },
  { name: 'b', healthUrl: 'http://127.0.0.1:2/', connectUrl: 'wss://b.example.com/' },
]
const monitor = { active: { name: 'a', connectUrl: 'wss://a.example.com/', since: '' }, allDown: false }

const health = createHealth()
afterAll(() => health.close())

const CASES: Array<[owner: string, create: () => unknown, misspelt: string, meant: string]> = [
  [
    'createHealth',
    () => createHealth({ defaultTimeout: 500 } as never),
    'defaultTimeout',
    'defaultTimeoutMs',
  ],
  [
    'createHealth() `probers`',
    () => createHealth({ probers: { userAgent: [] } } as never),
    'userAgent',
    'userAgents',
  ],
  ['createHandler', () => createHandler(health, { adminTokn: 'x' } as never), 'adminTokn', 'adminToken'],
  ['healthMetrics', () => healthMetrics(health, { registy: 1 } as never), 'registy', 'registry'],
  ['otelMetrics', () => otelMetrics(health, { meterProvidr: 1 } as never), 'meterProvidr', 'meterProvider'],
  ['createNodeListener', () => createNodeListener(health, { pth: '/h' } as never), 'pth', 'path'],
  [
    'createAdminListener',
    () => createAdminListener(health, { adminTokn: 'x' } as never),
    'adminTokn',
    'adminToken',
  ],
  ['healthRouter', () => healthRouter(health, { detail: 'always' } as never), 'detail', 'details'],
  [
    'attachHealth',
    () => attachHealth(createServer(), health, { adminRoute: false } as never),
    'adminRoute',
    'adminRoutes',
  ],
  ['createFetchHandler', () => createFetchHandler(health, { pth: '/h' } as never), 'pth', 'path'],
  [
    'healthgate',
    () => honoHealthgate(health, { remoteAdress: () => undefined } as never),
    'remoteAdress',
    'remoteAddress',
  ],
  ['installShutdown', () => installShutdown(health, { maxDrain: 5 } as never), 'maxDrain', 'maxDrainMs'],
  ['fileMaintenance', () => fileMaintenance({ path: '/tmp/x', pollMS: 5 } as never), 'pollMS', 'pollMs'],
  [
    'addHealthService',
    () => addHealthService({ addService: () => {} }, health, { livenes: 'live' } as never),
    'livenes',
    'liveness',
  ],
  [
    'shutdownGrpcServer',
    () => shutdownGrpcServer({ tryShutdown: () => {}, forceShutdown: () => {} }, { timeout: 5 } as never),
    'timeout',
    'timeoutMs',
  ],
  ['memoryMaintenance', () => memoryMaintenance({ onErorr: () => {} } as never), 'onErorr', 'onError'],
  ['memoryCheck', () => memoryCheck({ heapWarnRation: 0.5 } as never), 'heapWarnRation', 'heapWarnRatio'],
  ['eventLoopCheck', () => eventLoopCheck({ maxDelayP99: 100 } as never), 'maxDelayP99', 'maxDelayP99Ms'],
  ['cpuCheck', () => cpuCheck({ windowMS: 100 } as never), 'windowMS', 'windowMs'],
  ['diskCheck', () => diskCheck({ minFreeRation: 0.1 } as never), 'minFreeRation', 'minFreeRatio'],
  ['httpCheck', () => httpCheck({ url: 'http://x/', expected: '2xx' } as never), 'expected', 'expect'],
  ['tcpCheck', () => tcpCheck({ host: 'db', port: 5432, timeout: 5 } as never), 'timeout', 'timeoutMs'],
  ['queryCheck', () => queryCheck(async () => 1, { nmae: 'db' } as never), 'nmae', 'name'],
  ['defineCheck', () => defineCheck('x', () => {}, { critcal: false } as never), 'critcal', 'critical'],
  [
    'pgCheck',
    () => pgCheck({ connectionString: 'postgres://127.0.0.1:1/x' }, { timeout: 500 } as never),
    'timeout',
    'timeoutMs',
  ],
  [
    'mysqlCheck',
    () => mysqlCheck({ uri: 'mysql://127.0.0.1:1/x' }, { saturaton: 'warn' } as never),
    'saturaton',
    'saturation',
  ],
  [
    'natsCheck',
    () => natsCheck({ servers: 'nats://127.0.0.1:1' }, { jetStream: true } as never),
    'jetStream',
    'jetstream',
  ],
  ['amqpCheck', () => amqpCheck({ url: 'amqp://127.0.0.1:1' }, { queue: ['a'] } as never), 'queue', 'queues'],
  ['mqttCheck', () => mqttCheck({ url: 'mqtt://127.0.0.1:1' }, { topik: 'a' } as never), 'topik', 'topic'],
  ['redisCheck', () => redisCheck({ client: redis }, { timeout: 500 } as never), 'timeout', 'timeoutMs'],
  [
    'redisMaintenance',
    () => redisMaintenance({ client: redis, refreshMS: 5 } as never),
    'refreshMS',
    'refreshMs',
  ],
  [
    'HealthgateModule.forRoot',
    () => HealthgateModule.forRoot({ adminTokn: 'x' } as never),
    'adminTokn',
    'adminToken',
  ],
  [
    'HealthgateModule.forRoot shutdown',
    () => HealthgateModule.forRoot({ shutdown: { maxDrain: 5 } } as never),
    'maxDrain',
    'maxDrainMs',
  ],
  [
    'HealthgateModule.forRootAsync',
    () => HealthgateModule.forRootAsync({ useFactory: () => ({}), injects: [] } as never),
    'injects',
    'inject',
  ],
  [
    'redisFleet',
    () =>
      redisFleet({
        client: { status: 'ready', eval: async () => 0 },
        service: 's',
        minAvaliable: 2,
      } as never),
    'minAvaliable',
    'minAvailable',
  ],
  [
    'createFailover',
    () => createFailover({ endpoints, failureTreshold: 2 } as never),
    'failureTreshold',
    'failureThreshold',
  ],
]

test.each(CASES)('%s() rejects a misspelt option with a did-you-mean', (owner, create, misspelt, meant) => {
  expect(create).toThrow(TypeError)
  expect(create).toThrow(
    new RegExp(
      `^${owner.replace(/[()]/g, '\\$&')}${owner.includes(' ') ? ':' : '\\(\\):'} unknown option \`${misspelt}\`; did you mean \`${meant}\`\\? Known options: .*\\b${meant}\\b`,
    ),
  )
})

test('serveActive() rejects a misspelt option with a did-you-mean', async () => {
  await expect(serveActive({ monitor, port: 0, hots: '::1' } as never)).rejects.toThrow(
    /^serveActive\(\): unknown option `hots`; did you mean `host`\? Known options: monitor, port, host$/,
  )
})

test.each([
  [['probe', 'http://127.0.0.1:1/', '--timout', '1s'], 'probe', '--timeout'],
  [['maintenance', 'status', '--url', 'http://127.0.0.1:1/health', '--jsno'], 'maintenance', '--json'],
  [['watch', '--endpoints', 'a=http://x/,wss://y/'], 'watch', '--endpoint'],
  [['--verison'], '', '--version'],
])('healthgate %j rejects the flag the same way, exit 2', async (argv, command, meant) => {
  const result = await run(argv as string[], { env: { HEALTHGATE_ADMIN_TOKEN: 't' } })
  const flag = (argv as string[]).find((arg) => arg.startsWith('--') && arg !== '--url') ?? ''
  expect(result.code).toBe(2)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(
    new RegExp(`^healthgate: unknown option \`${flag}\`; did you mean \`${meant}\`\\? Known options: `),
  )
  expect(result.stderr).toContain(`Run 'healthgate ${command ? `${command} ` : ''}--help' for usage.`)
})

test('health.waitForDrain() rejects a misspelt option the same way', async () => {
  await expect(health.waitForDrain({ maxMS: 5 } as never)).rejects.toThrow(
    /^health\.waitForDrain\(\): unknown option `maxMS`; did you mean `maxMs`\? Known options: maxMs, pollMs, signal$/,
  )
})

test('the Fastify plugin rejects a misspelt option the same way', async () => {
  const app = Fastify()
  await expect(app.register(healthgate, { health, detials: 'always' } as never).ready()).rejects.toThrow(
    /^healthgate plugin: unknown option `detials`; did you mean `details`\? Known options: .*\bdetails\b/,
  )
  await app.close()
})
