import http from 'node:http'
import { join } from 'node:path'
import { createHealth } from '@healthgate/core'
import healthgate from '@healthgate/fastify'
import Fastify from 'fastify'
import { request, startProber } from '../support/http.js'
import { killChildren, ROOT, spawnNode } from '../support/spawn.js'
import { sleep } from '../support/wait.js'

// Real signals to real processes: each fixture imports the built packages (packages/*/dist), as a user's app
// would. The test command builds them before jest runs.
const FIXTURES = join(ROOT, 'test/e2e/fixtures')
const fixture = (name: string) => join(FIXTURES, `${name}.mjs`)
const silent = { info() {}, error() {} }

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
  await killChildren()
})

async function start(name: string, env: Record<string, string> = {}) {
  const child = spawnNode(fixture(name), env)
  const port = Number((await child.waitFor(/listening (\d+)/))[1])
  return { child, port }
}

/**
 * The SIGTERM scenario every graceful server must pass: a prober that saw the instance healthy, two slow requests
 * on keep-alive connections, then SIGTERM. While draining, readiness is 503 for everyone, liveness 200 and the
 * app still served; the slow requests finish. Resolves once the child exited.
 */
async function sigtermWhileBusy(name: string, env: Record<string, string> = {}) {
  const { child, port } = await start(name, env)
  const prober = startProber(port, 'kube-probe/e2e-balancer', 100)
  stops.push(() => prober.stop())
  await sleep(350) // the prober has seen it healthy a few times
  const agent = new http.Agent({ keepAlive: true })
  stops.push(async () => agent.destroy())
  const slow = [request(port, '/slow', { agent }), request(port, '/slow', { agent })]
  await sleep(50)
  child.process.kill('SIGTERM')
  await child.waitFor(/draining/)
  const [ready, live, app] = await Promise.all([
    request(port, '/health/ready'),
    request(port, '/health/live'),
    request(port, '/'),
  ])
  expect([ready.status, live.status, app.status]).toEqual([503, 200, 200])

  const replies = await Promise.all(slow)
  expect(replies.map((reply) => [reply.status, reply.body])).toEqual([
    [200, 'slow done'],
    [200, 'slow done'],
  ])
  const exit = await child.exited
  expect(prober.statuses.slice(-2)).toEqual([503, 503])
  const waited = Number(/drain confirmed after (\d+) ms/.exec(child.stdout)?.[1])
  expect(waited).toBeGreaterThanOrEqual(50)
  expect(waited).toBeLessThan(3000)
  return { child, exit }
}

describe.each(['node-http', 'express', 'fastify'])('%s: SIGTERM', (name) => {
  it('drains until the prober saw 503s, lets slow requests finish, runs the hooks in order and exits 0', async () => {
    const { child, exit } = await sigtermWhileBusy(name)
    expect(exit).toEqual({ code: 0, signal: null })
    const lines = child.stdout.split('\n').filter((line) => /^(hook|healthgate|fastify)/.test(line))
    expect(lines.filter((line) => line.startsWith('hook'))).toEqual(['hook 1', 'hook 2', 'hook 3'])
    expect(lines.at(-1)).toBe('healthgate: shutdown complete (exit code 0)')
    if (name === 'fastify') {
      // The plugin closes Fastify, whose own onClose hooks run before the shutdown hooks.
      expect(lines.indexOf('fastify onClose')).toBeLessThan(lines.indexOf('hook 1'))
    }
    expect(child.stderr).toBe('')
  })
})

describe.each(['express', 'fastify'])('Nest on %s: SIGTERM with enableShutdownHooks()', (platform) => {
  it('drains until the prober saw 503s before Nest closes the server, lets slow requests finish, runs the hooks', async () => {
    const { child, exit } = await sigtermWhileBusy('nest', { PLATFORM: platform })
    // Nest re-raises the signal once its hooks are done.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' })
    const lines = child.stdout.split('\n').filter((line) => /^(hook|healthgate|nest)/.test(line))
    // The drain is confirmed before Nest closes the HTTP server; the hooks run after it closed.
    expect(lines.findIndex((line) => line.includes('drain confirmed'))).toBeLessThan(
      lines.indexOf('nest: http server closed'),
    )
    expect(lines.indexOf('nest: http server closed')).toBeLessThan(lines.indexOf('hook 1'))
    expect(lines.filter((line) => line.startsWith('hook'))).toEqual(['hook 1', 'hook 2', 'hook 3'])
    expect(lines.at(-1)).toBe('healthgate: shutdown complete (exit code 0)')
    expect(child.stderr).toBe('')
  })
})

describe('signals', () => {
  it('exits at once with 130 on a second signal', async () => {
    const { child, port } = await start('node-http', { MAX_DRAIN_MS: '30000' })
    // A prober that saw it healthy and probes rarely keeps the drain waiting.
    const prober = startProber(port, 'ELB-HealthChecker/2.0', 20_000)
    stops.push(() => prober.stop())
    await sleep(200)
    child.process.kill('SIGTERM')
    await child.waitFor(/draining/)
    await sleep(300)
    expect(child.process.exitCode).toBeNull()
    const second = performance.now()
    child.process.kill('SIGTERM')
    expect(await child.exited).toEqual({ code: 130, signal: null })
    expect(performance.now() - second).toBeLessThan(1500)
    expect(child.stderr).toContain('SIGTERM received again: exiting now')
    expect(child.stdout).not.toContain('hook 1')
  })

  it('shuts down on SIGINT too', async () => {
    const { child } = await start('express')
    child.process.kill('SIGINT')
    expect(await child.exited).toEqual({ code: 0, signal: null })
    expect(child.stdout).toContain('healthgate: SIGINT: draining')
  })

  it('reports a failing hook on stderr, still runs the next hooks, and exits 1', async () => {
    const { child } = await start('node-http', { HOOK_FAIL: '1' })
    child.process.kill('SIGTERM')
    expect(await child.exited).toEqual({ code: 1, signal: null })
    expect(child.stdout).toContain('hook 1\nhook 3\n')
    expect(child.stdout).not.toContain('hook 2')
    expect(child.stderr).toContain('healthgate: onShutdown hook #2 failed')
    expect(child.stderr).toContain('hook 2 failed on purpose')
    expect(child.stdout).toContain('shutdown complete (exit code 1)')
  })

  it('cuts a request that outlives closeTimeoutMs and exits 1', async () => {
    const { child, port } = await start('express', { CLOSE_TIMEOUT_MS: '100' })
    const slow = request(port, '/slow').then(
      (reply) => reply.status,
      (error: NodeJS.ErrnoException) => error.code,
    )
    await sleep(50)
    child.process.kill('SIGTERM')
    expect(await slow).toBe('ECONNRESET')
    expect(await child.exited).toEqual({ code: 1, signal: null })
    expect(child.stderr).toContain('in-flight requests still running after closeTimeoutMs (100 ms)')
  })
})

describe('Fastify plugin `shutdown` option', () => {
  it('installs the signal handlers and removes them when Fastify is closed some other way', async () => {
    const before = process.listenerCount('SIGTERM')
    const health = createHealth()
    const app = Fastify()
    await app.register(healthgate, { health, shutdown: { exit: false, logger: silent } })
    await app.ready()
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)
    await app.close()
    expect(process.listenerCount('SIGTERM')).toBe(before)
    expect(health.state).toBe('stopped')
  })

  it('is off by default and rejects a bad value', async () => {
    const before = process.listenerCount('SIGTERM')
    const app = Fastify()
    await app.register(healthgate, { health: createHealth() })
    await app.ready()
    expect(process.listenerCount('SIGTERM')).toBe(before)
    await app.close()

    const bad = Fastify()
    await expect(
      bad.register(healthgate, { health: createHealth(), shutdown: 'yes' as never }),
    ).rejects.toThrow(
      'healthgate plugin: expected `shutdown` to be a boolean or the options of installShutdown(), got the string "yes"',
    )
    await bad.close()
    expect(process.listenerCount('SIGTERM')).toBe(before)
  })
})
