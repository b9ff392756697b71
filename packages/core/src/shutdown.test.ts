import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from '../../../test/support/http.js'
import { startHealthServer, startProber as startProberOn } from '../../../test/support/probers.js'
import { createHealth, type Health, type HealthOptions } from './health.js'
import { createNodeListener, tuneForLoadBalancer } from './node.js'
import {
  installShutdown,
  type ShutdownController,
  type ShutdownLogger,
  type ShutdownOptions,
} from './shutdown.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function makeHealth(options: HealthOptions = {}): Health {
  const health = createHealth(options)
  cleanups.push(() => health.close())
  return health
}

/** Collects log lines; `errors` keeps the error objects handed to `logger.error`. */
function makeLogger() {
  const lines: string[] = []
  const errors: unknown[] = []
  const logger: ShutdownLogger = {
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message, error) => {
      lines.push(`error ${message}`)
      if (error !== undefined) errors.push(error)
    },
  }
  return { logger, lines, errors }
}

const startServer = (health: Health) => startHealthServer(health, cleanups)
const startProber = (port: number, userAgent: string, intervalMs: number) =>
  startProberOn(port, userAgent, intervalMs, cleanups)

function install(health: Health, options: ShutdownOptions): ShutdownController & { exits: number[] } {
  const exits: number[] = []
  const controller = installShutdown(health, { signals: [], exit: (code) => exits.push(code), ...options })
  cleanups.push(() => controller.dispose())
  return Object.assign(controller, { exits })
}

describe('installShutdown', () => {
  it('rejects bad options with a TypeError naming the option', () => {
    const health = makeHealth()
    const cases: Array<[unknown, string]> = [
      [{ maxDrainMs: -1 }, 'expected `maxDrainMs` to be a number of at least 0, got number -1'],
      [{ closeTimeoutMs: 0 }, 'expected `closeTimeoutMs` to be a positive number, got number 0'],
      [{ drainPollMs: Number.NaN }, 'expected `drainPollMs` to be a positive number'],
      [{ signals: 'SIGTERM' }, 'expected `signals` to be an array'],
      [{ signals: ['SIGKILL'] }, "expected `signals` to be catchable signal names like 'SIGTERM'"],
      [{ signals: ['SIGNOPE'] }, "expected `signals` to be catchable signal names like 'SIGTERM'"],
      [{ onShutdown: [() => {}, 'x'] }, 'expected `onShutdown[1]` to be a function'],
      [{ server: {} }, 'expected `server` to be a node:http server'],
      [{ close: 'now' }, 'expected `close` to be a function'],
      [{ exit: 1 }, 'expected `exit` to be a boolean or a function'],
      [{ logger: { info() {} } }, 'expected `logger` to be an object with `info()` and `error()` methods'],
      [{ maxDrain: 5 }, 'unknown option `maxDrain`; did you mean `maxDrainMs`?'],
      [null, 'expected the options to be an object'],
    ]
    for (const [options, message] of cases) {
      expect(() => installShutdown(health, options as ShutdownOptions)).toThrow(TypeError)
      expect(() => installShutdown(health, options as ShutdownOptions)).toThrow(
        `installShutdown(): ${message}`,
      )
    }
    expect(() => installShutdown({} as never)).toThrow('installShutdown(): expected `health` to be a Health')
    expect(process.listenerCount('SIGTERM')).toBe(0)
  })

  it('drains until the probers saw 503s, then closes, runs the hooks, closes the health and exits 0', async () => {
    const health = makeHealth({ unhealthyThreshold: 2 })
    const { server, port } = await startServer(health)
    const prober = startProber(port, 'kube-probe/lb-1', 100)
    await sleep(350)
    const { logger, lines } = makeLogger()
    const order: string[] = []
    const controller = install(health, {
      server,
      logger,
      onShutdown: () => {
        order.push(`hook (health ${health.state})`)
      },
    })
    const running = controller.shutdown('test')
    expect(controller.started).toBe(true)
    // Draining: readiness 503, liveness 200, the app still served.
    expect((await request(port, '/health/ready')).status).toBe(503)
    expect((await request(port, '/health/live')).status).toBe(200)
    expect((await request(port, '/')).status).toBe(200)
    const result = await running
    order.push(`exit ${controller.exits.join(',')} (health ${health.state})`)

    expect(result).toMatchObject({ code: 0, reason: 'test', drained: true, forcedClose: false, errors: [] })
    expect(result.drainWaitMs).toBeGreaterThanOrEqual(90)
    // The server answered before it closed; wait until the prober has read that last answer.
    await prober.stop()
    expect(prober.statuses.slice(-2)).toEqual([503, 503])
    expect(order).toEqual(['hook (health draining)', 'exit 0 (health stopped)'])
    expect(controller.exits).toEqual([0])
    await expect(request(port, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(lines).toEqual([
      'info healthgate: test: draining (readiness answers 503)',
      expect.stringMatching(/^info healthgate: drain confirmed after \d+ ms$/),
      expect.stringMatching(/^info healthgate: server closed after \d+ ms$/),
      'info healthgate: shutdown complete (exit code 0)',
    ])
  })

  it('stops waiting for the drain at maxDrainMs and closes anyway', async () => {
    const health = makeHealth()
    const { server, port } = await startServer(health)
    startProber(port, 'kube-probe/very-slow-lb', 1500)
    await sleep(100)
    const { logger, lines } = makeLogger()
    const controller = install(health, { server, logger, maxDrainMs: 200 })
    const result = await controller.shutdown()
    expect(result.drained).toBe(false)
    expect(result.drainWaitMs).toBeGreaterThanOrEqual(190)
    expect(result.drainWaitMs).toBeLessThan(700)
    expect(result.code).toBe(0)
    expect(lines).toContainEqual(
      expect.stringMatching(
        /drain not confirmed after \d+ ms \(probers still holding it: 127\.0\.0\.1 kube-probe\/very-slow-lb\)/,
      ),
    )
  })

  it('closes at once without waiting when maxDrainMs is 0', async () => {
    const health = makeHealth()
    const { server, port } = await startServer(health)
    startProber(port, 'kube-probe/lb', 1000)
    await sleep(100)
    const controller = install(health, { server, logger: makeLogger().logger, maxDrainMs: 0 })
    const started = performance.now()
    const result = await controller.shutdown()
    expect(result).toMatchObject({ drained: false, drainWaitMs: 0, code: 0 })
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('lets in-flight slow requests finish with `Connection: close` and refuses new connections', async () => {
    const health = makeHealth()
    const { server, port } = await startServer(health)
    const agent = new http.Agent({ keepAlive: true })
    cleanups.push(() => agent.destroy())
    // Installed at startup, as in an app: it tracks the requests in flight from then on.
    const controller = install(health, { server, logger: makeLogger().logger })
    const slow = [
      request(port, '/slow', { agent }),
      request(port, '/slow', { agent }),
      request(port, '/slow', { agent }),
    ]
    await sleep(50)
    const result = await controller.shutdown()
    const replies = await Promise.all(slow)
    expect(replies.map((reply) => [reply.status, reply.body, reply.headers.connection])).toEqual([
      [200, 'slow done', 'close'],
      [200, 'slow done', 'close'],
      [200, 'slow done', 'close'],
    ])
    expect(result).toMatchObject({ code: 0, forcedClose: false })
    expect(result.closeMs).toBeGreaterThanOrEqual(150)
    expect(result.closeMs).toBeLessThan(2000)
    await expect(request(port, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('closes idle keep-alive connections at once and a streaming response right after it ends', async () => {
    const health = makeHealth()
    const healthRoutes = createNodeListener(health)
    const server = http.createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('a')
        setTimeout(() => res.end('b'), 300)
      } else healthRoutes(req, res)
    })
    tuneForLoadBalancer(server) // 65 s keep-alive: only an explicit close ends these sockets early
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const port = (server.address() as AddressInfo).port
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
    cleanups.push(() => agent.destroy())
    const controller = install(health, { server, logger: makeLogger().logger, closeTimeoutMs: 5000 })
    await Promise.all([request(port, '/health/live', { agent }), request(port, '/health/live', { agent })])
    const stream = request(port, '/stream', { agent })
    await sleep(50)
    const result = await controller.shutdown()
    expect((await stream).body).toBe('ab')
    // Without closing the idle sockets and the streamed one, close() would wait for the 65 s keep-alive timeout.
    expect(result.closeMs).toBeLessThan(1500)
    expect(result.forcedClose).toBe(false)
  })

  it('cuts requests still running after closeTimeoutMs, reports it and exits 1', async () => {
    const health = makeHealth()
    const { server, port } = await startServer(health)
    const { logger, lines } = makeLogger()
    const controller = install(health, { server, logger, closeTimeoutMs: 200 })
    const hung = request(port, '/hang').then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    )
    await sleep(50)
    const result = await controller.shutdown()
    expect(await hung).toBe('ECONNRESET')
    expect(result.forcedClose).toBe(true)
    expect(result.code).toBe(1)
    expect(result.closeMs).toBeGreaterThanOrEqual(190)
    expect(result.closeMs).toBeLessThan(1500)
    expect(controller.exits).toEqual([1])
    expect(lines).toContainEqual(
      expect.stringContaining('in-flight requests still running after closeTimeoutMs (200 ms)'),
    )
  })

  it('runs onShutdown hooks once, in order, and reports their errors instead of swallowing them', async () => {
    const health = makeHealth()
    const { server } = await startServer(health)
    const calls: string[] = []
    const boom = new Error('flush failed')
    const { logger, lines, errors } = makeLogger()
    const controller = install(health, {
      server,
      logger,
      onShutdown: [
        () => {
          calls.push('first')
        },
        function closeQueue() {
          calls.push('second')
          throw boom
        },
        async () => {
          await sleep(20)
          calls.push('third')
          return Promise.reject('not even an Error')
        },
        () => {
          calls.push('fourth')
        },
      ],
    })
    const [a, b] = [controller.shutdown(), controller.shutdown('again')]
    expect(b).toBe(a)
    const result = await a
    await controller.shutdown()
    expect(calls).toEqual(['first', 'second', 'third', 'fourth'])
    expect(result.code).toBe(1)
    expect(result.errors).toEqual([boom, 'not even an Error'])
    expect(errors).toEqual([boom, 'not even an Error'])
    expect(lines).toContainEqual('error healthgate: onShutdown hook #2 (closeQueue) failed')
    expect(lines).toContainEqual('error healthgate: onShutdown hook #3 failed')
    expect(controller.exits).toEqual([1])
  })

  it('starts on a signal, and a second signal exits at once with 130', async () => {
    const health = makeHealth()
    const { server, port } = await startServer(health)
    startProber(port, 'kube-probe/lb-that-keeps-it-waiting', 2000)
    await sleep(100)
    const { logger, lines } = makeLogger()
    const before = process.listenerCount('SIGTERM')
    const controller = install(health, {
      server,
      logger,
      signals: ['SIGTERM', 'SIGUSR2'],
      maxDrainMs: 20_000,
    })
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)
    // Emitting runs the handlers like a delivered signal, without killing the test runner if they are missing.
    process.emit('SIGUSR2', 'SIGUSR2')
    await sleep(100)
    expect(controller.started).toBe(true)
    expect(health.state).toBe('draining')
    expect(controller.exits).toEqual([])
    const second = performance.now()
    process.emit('SIGTERM', 'SIGTERM')
    expect(controller.exits).toEqual([130])
    expect(performance.now() - second).toBeLessThan(100)
    const result = await controller.shutdown()
    expect(result.code).toBe(130)
    expect(controller.exits).toEqual([130]) // the interrupted sequence does not exit a second time
    expect(lines).toContainEqual('error healthgate: SIGTERM received again: exiting now')
    expect(process.listenerCount('SIGTERM')).toBe(before)
  })

  it('removes its signal handlers when disposed, and with exit: false never exits', async () => {
    const health = makeHealth()
    const before = process.listenerCount('SIGINT')
    const controller = installShutdown(health, { exit: false, logger: makeLogger().logger })
    cleanups.push(() => controller.dispose())
    expect(process.listenerCount('SIGINT')).toBe(before + 1)
    controller()
    controller.dispose()
    expect(process.listenerCount('SIGINT')).toBe(before)
    const result = await controller.shutdown()
    expect(result).toMatchObject({ code: 0, drained: true })
    expect(health.state).toBe('stopped')
  })

  it('goes on 1 s after cutting the connections when the close never completes, and reports it', async () => {
    const health = makeHealth()
    const { server } = await startServer(health)
    const { logger, errors } = makeLogger()
    let hookRan = false
    const controller = install(health, {
      server,
      logger,
      closeTimeoutMs: 100,
      close: () => new Promise<void>(() => {}), // e.g. an upgraded socket nobody closes
      onShutdown: () => {
        hookRan = true
      },
    })
    const started = performance.now()
    const result = await controller.shutdown()
    expect(performance.now() - started).toBeLessThan(2500)
    expect(result).toMatchObject({ forcedClose: true, code: 1 })
    expect(hookRan).toBe(true)
    expect(errors).toContainEqual(new Error('the server did not close 1000 ms after cutting its connections'))
    expect(controller.exits).toEqual([1])
  })

  it('uses a custom close (e.g. fastify.close()) and still bounds it with closeTimeoutMs', async () => {
    const health = makeHealth()
    const { server, port } = await startServer(health)
    const hung = request(port, '/hang').catch((error: NodeJS.ErrnoException) => error.code)
    await sleep(50)
    let closeCalls = 0
    const controller = install(health, {
      server,
      logger: makeLogger().logger,
      closeTimeoutMs: 200,
      close: () => {
        closeCalls++
        return new Promise<void>((resolve) => server.close(() => resolve()))
      },
    })
    const result = await controller.shutdown()
    expect(closeCalls).toBe(1)
    expect(await hung).toBe('ECONNRESET')
    expect(result).toMatchObject({ forcedClose: true, code: 1 })
  })
})
