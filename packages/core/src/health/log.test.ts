import { promises as dns } from 'node:dns'
import { createHealth, type Health, type HealthOptions } from '../health.js'
import { installShutdown } from '../shutdown.js'
import type { HealthLogger } from './log.js'

interface Line {
  level: 'info' | 'warn' | 'error'
  fields: Record<string, unknown>
  message: string
}

function makeLogger() {
  const lines: Line[] = []
  const at = (level: Line['level']) => (fields: object, message: string) =>
    lines.push({ level, fields: fields as Record<string, unknown>, message })
  const logger: HealthLogger = { info: at('info'), warn: at('warn'), error: at('error') }
  return { logger, lines }
}

const healths: Health[] = []
afterEach(async () => {
  for (const health of healths.splice(0)) await health.close()
  jest.restoreAllMocks()
})
function makeHealth(options: HealthOptions): Health {
  const health = createHealth(options)
  healths.push(health)
  return health
}

/** A check that fails while `state.up` is false. */
function switchable(name: string, message = 'connection refused') {
  const state = { up: true, runs: 0 }
  return {
    state,
    definition: {
      name,
      cacheTtlMs: 1,
      check: async () => {
        state.runs++
        if (!state.up) throw new Error(message)
      },
    },
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('the logger option', () => {
  test('each check transition and readiness change is logged once, with its fields', async () => {
    const { logger, lines } = makeLogger()
    const db = switchable('db')
    const health = makeHealth({ checks: [db.definition], logger })
    await health.evaluate()
    await settle()
    await health.evaluate()
    db.state.up = false
    await settle()
    await health.evaluate()
    await settle()
    await health.evaluate()
    db.state.up = true
    await settle()
    await health.evaluate()

    const transitions = lines.filter((line) => line.fields.check === 'db')
    expect(transitions.map((line) => [line.level, line.fields.from, line.fields.to])).toEqual([
      ['info', null, 'pass'],
      ['warn', 'pass', 'fail'],
      ['info', 'fail', 'pass'],
    ])
    expect(transitions[1]?.fields).toMatchObject({ output: 'connection refused' })
    expect(typeof transitions[1]?.fields.durationMs).toBe('number')
    const readiness = lines.filter((line) => line.fields.probe === 'ready')
    // Unknown counts as down: readiness starts at fail until the first result.
    expect(readiness.map((line) => [line.fields.from, line.fields.to])).toEqual([
      ['fail', 'pass'],
      ['pass', 'fail'],
      ['fail', 'pass'],
    ])
  })

  test('maintenance enter and leave are logged with their source, and draining with its confirmation', async () => {
    const { logger, lines } = makeLogger()
    const health = makeHealth({ checks: [], logger, unhealthyThreshold: 2 })
    health.recordProbe('lb-1', 200, performance.now(), '10.0.0.1', 'ELB-HealthChecker/2.0')
    await health.enterMaintenance('deploy 42')
    health.recordProbe('lb-1', 503, performance.now(), '10.0.0.1', 'ELB-HealthChecker/2.0')
    health.recordProbe('lb-1', 503, performance.now(), '10.0.0.1', 'ELB-HealthChecker/2.0')
    health.recordProbe('lb-1', 503, performance.now(), '10.0.0.1', 'ELB-HealthChecker/2.0')
    await health.leaveMaintenance()
    await health.leaveMaintenance()

    expect(lines.map((line) => line.fields)).toEqual([
      { maintenance: true, source: 'memory', reason: 'deploy 42' },
      { probe: 'ready', from: 'pass', to: 'fail' },
      { drain: 'start', probers: 1 },
      { drain: 'confirmed', probers: 1 },
      { maintenance: false, source: 'memory' },
      { probe: 'ready', from: 'fail', to: 'pass' },
      { drain: 'end', probers: 1 },
    ])
  })

  test('each shutdown step is logged once through the health logger, not console', async () => {
    const { logger, lines } = makeLogger()
    const consoleInfo = jest.spyOn(console, 'info').mockImplementation(() => {})
    const health = makeHealth({ checks: [], logger })
    const controller = installShutdown(health, { signals: [], exit: false, maxDrainMs: 50, drainPollMs: 10 })
    const result = await controller.shutdown('deploy')
    expect(result.code).toBe(0)
    const steps = lines.filter((line) => 'shutdown' in line.fields).map((line) => line.fields)
    expect(steps).toEqual([
      { shutdown: 'drain', reason: 'deploy' },
      { shutdown: 'drain-confirmed', durationMs: expect.any(Number) },
      { shutdown: 'complete', code: 0 },
    ])
    expect(lines.filter((line) => line.fields.drain === 'start')).toHaveLength(1)
    expect(consoleInfo).not.toHaveBeenCalled()
  })

  test('no password, connection string or token reaches a log line', async () => {
    const { logger, lines } = makeLogger()
    const db = switchable('db', 'connect to postgres://app:hunter2@db.internal:5432/app failed token=s3cr3t')
    db.state.up = false
    const health = makeHealth({ checks: [db.definition], logger })
    await health.evaluate()
    await health.enterMaintenance('rotate password=hunter2')
    const controller = installShutdown(health, {
      signals: [],
      exit: false,
      maxDrainMs: 0,
      onShutdown: () => {
        throw new Error('flush to https://u:hunter2@queue.internal failed\n    at secret (/srv/app.js:1:1)')
      },
    })
    await controller.shutdown()
    const text = JSON.stringify(lines)
    expect(lines.length).toBeGreaterThan(3)
    expect(text).toContain('***@db.internal')
    expect(text).not.toMatch(/hunter2|s3cr3t|app\.js/)
  })

  test('a flapping check logs at most 5 transitions a minute, then says how many it left out', async () => {
    const { logger, lines } = makeLogger()
    const flappy = switchable('flappy')
    const health = makeHealth({ checks: [flappy.definition], logger })
    for (let index = 0; index < 20; index++) {
      flappy.state.up = index % 2 === 0
      await settle()
      await health.evaluate()
    }
    expect(flappy.state.runs).toBe(20)
    expect(lines.filter((line) => line.fields.check === 'flappy')).toHaveLength(5)
  })

  test('a logger without warn() is refused, naming the option', () => {
    expect(() => createHealth({ logger: { info() {}, error() {} } as unknown as HealthLogger })).toThrow(
      /`logger`/,
    )
  })
})

describe('a check that fails because of a bug says so once, even without a logger', () => {
  test('a ReferenceError: one console.warn naming the check and the reason', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
    const health = makeHealth({
      checks: [
        {
          name: 'orders-db',
          cacheTtlMs: 1,
          check: async () => {
            // The README mistake: a variable that was never defined.
            await (pool as { query(sql: string): Promise<void> }).query('SELECT 1')
          },
        },
      ],
    })
    for (let index = 0; index < 3; index++) {
      await health.evaluate()
      await settle()
    }
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(/check "orders-db" .*programming error.*pool is not defined/)
  })

  test('an unresolvable host: one line through the logger, with the check and the reason', async () => {
    const { logger, lines } = makeLogger()
    const health = makeHealth({
      checks: [
        {
          name: 'payments',
          cacheTtlMs: 1,
          check: async () => {
            await dns.lookup('payments.healthgate-test.invalid')
          },
        },
      ],
      logger,
    })
    await health.evaluate()
    await settle()
    await health.evaluate()
    const hinted = lines.filter((line) => line.fields.hint !== undefined)
    expect(hinted).toHaveLength(1)
    expect(hinted[0]).toMatchObject({
      level: 'warn',
      fields: { check: 'payments', hint: 'unresolvable host', reason: expect.stringContaining('ENOTFOUND') },
    })
  })

  test('an ordinary outage is not reported as a bug', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
    const db = switchable('db')
    db.state.up = false
    const health = makeHealth({ checks: [db.definition] })
    await health.evaluate()
    expect(warn).not.toHaveBeenCalled()
  })
})

declare const pool: unknown
