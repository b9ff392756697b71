/**
 * Runs the demos as a user does (`node examples/<framework>/server.mjs`, `bun examples/bun/server.mjs`,
 * `deno run -A examples/deno/server.mjs`, importing the BUILT packages by name) and checks what the README promises: the app route, GET/HEAD /health, the maintenance flip with
 * curl-like requests, and the drain and clean exit on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { request } from '../support/http.js'
import { sleep, waitFor } from '../support/wait.js'
import { runtimeBinary } from './runtimes.js'

const ROOT = join(__dirname, '..', '..')
const TOKEN = 'demo-conformance-t0ken'
const START_TIMEOUT_MS = 15_000
const EXIT_TIMEOUT_MS = 20_000

interface Running {
  child: ChildProcess
  url: string
  output: () => string
  exited: Promise<number | null>
}

/** The command running a demo: Node, or the bun and deno binaries of the dev dependencies for theirs. */
function demoCommand(framework: string): string[] {
  const script = join(ROOT, 'examples', framework, 'server.mjs')
  if (framework === 'bun') return [runtimeBinary('bun'), script]
  if (framework === 'deno') return [runtimeBinary('deno'), 'run', '-A', script]
  return [process.execPath, script]
}

/** Spawns a demo with a clean environment (no DATABASE_URL etc.) on a free port, resolves its URL. */
function startDemo(framework: string, extraEnv: Record<string, string> = {}): Promise<Running> {
  const [command = process.execPath, ...args] = demoCommand(framework)
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      HEALTHGATE_ADMIN_TOKEN: TOKEN,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk: string) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`The ${framework} demo printed no URL within ${START_TIMEOUT_MS} ms:\n${output}`))
    }, START_TIMEOUT_MS)
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (!match?.[1]) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      resolve({ child, url: match[1], output: () => output, exited })
    }
    child.stdout?.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`The ${framework} demo exited with code ${code} before listening:\n${output}`))
    })
  })
}

describe.each([
  ['express', {}, 'packages/express/dist/index.js'],
  ['fastify', {}, 'packages/fastify/dist/index.js'],
  ['hono', {}, 'packages/hono/dist/index.js'],
  ['bun', {}, 'packages/core/dist/fetch/index.js'],
  ['deno', {}, 'packages/core/dist/fetch/index.js'],
  ['nest', {}, 'packages/nestjs/dist/index.js'],
  ['nest', { NEST_PLATFORM: 'fastify' }, 'packages/nestjs/dist/index.js'],
])('the %s demo (env %j)', (framework, extraEnv: Record<string, string>, adapterDist) => {
  let demo: Running | undefined

  beforeAll(async () => {
    for (const file of ['packages/core/dist/index.js', adapterDist]) {
      if (!existsSync(join(ROOT, file))) {
        throw new Error(
          `The demo runs the built packages, but ${file} is missing: run \`pnpm run build\` first.`,
        )
      }
    }
    demo = await startDemo(framework, extraEnv)
  })

  afterAll(async () => {
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGKILL')
      await demo.exited
    }
  })

  const running = (): Running => {
    if (!demo) throw new Error('the demo did not start')
    return demo
  }

  it('prints the curl lines to try', async () => {
    const { output, url } = running()
    // The lines may arrive in a later chunk than the URL.
    // If they never do, the expectations below say which one is missing.
    await waitFor(() => output().includes('-X DELETE'), 5000).catch(() => {})
    expect(output()).toContain(`curl -i ${url}/health`)
    expect(output()).toContain(`curl -I ${url}/health`)
    expect(output()).toContain(`-d '{"reason":"deploy 1.4.2"}' ${url}/health/maintenance`)
  })

  it('serves its own route next to the health routes', async () => {
    const answer = await request(running().url, '/')
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toMatchObject({ health: '/health' })
  })

  it('answers GET and HEAD /health with the system checks, no configuration needed', async () => {
    const { url } = running()
    const get = await request(url, '/health')
    // The system checks are non-critical: a busy CI machine degrades the demo to warn, never to 503.
    expect(get.status).toBe(200)
    expect(get.headers['content-type']).toBe('application/health+json; charset=utf-8')
    const body = JSON.parse(get.body)
    expect(['pass', 'warn']).toContain(body.status)
    const components = Object.keys(body.checks).map((key) => key.split(':')[0])
    expect(new Set(components)).toEqual(new Set(['memory', 'eventLoop', 'cpu', 'disk']))

    const head = await request(url, '/health', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0)
    expect(head.headers['cache-control']).toBe('no-store')
  })

  it('serves GET /metrics: process metrics and healthgate metrics, 200 while readiness is 503', async () => {
    const { url } = running()
    const auth = { authorization: `Bearer ${TOKEN}` }
    const json = { ...auth, 'content-type': 'application/json' }
    await request(url, '/health')
    const entered = await request(url, '/health/maintenance', { method: 'PUT', headers: json, body: '{}' })
    expect(entered.status).toBe(200)
    try {
      expect((await request(url, '/health')).status).toBe(503)
      const metrics = await request(url, '/metrics')
      expect(metrics.status).toBe(200)
      expect(metrics.headers['content-type']).toContain('text/plain')
      expect(metrics.body).toContain('process_cpu_user_seconds_total')
      expect(metrics.body).toMatch(/^healthgate_maintenance 1$/m)
      expect(metrics.body).toMatch(/^healthgate_ready 0$/m)
      expect(metrics.body).toMatch(/^healthgate_check_up\{check="memory"\} 1$/m)
    } finally {
      await request(url, '/health/maintenance', { method: 'DELETE', headers: auth })
    }
  })

  it('logs JSON lines: check transitions and maintenance, with their fields', async () => {
    const { output } = running()
    await waitFor(() => output().includes('"maintenance":false'), 5000).catch(() => {})
    const lines = output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines).toContainEqual(
      expect.objectContaining({ check: 'memory', from: null, to: expect.any(String) }),
    )
    expect(lines).toContainEqual(expect.objectContaining({ maintenance: true, source: 'memory' }))
    expect(lines).toContainEqual(expect.objectContaining({ maintenance: false, source: 'memory' }))
  })

  it('flips maintenance with the admin token', async () => {
    const { url } = running()
    const auth = { authorization: `Bearer ${TOKEN}` }
    const entered = await request(url, '/health/maintenance', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"reason":"deploy 1.4.2"}',
    })
    expect(entered.status).toBe(200)
    expect(JSON.parse(entered.body)).toMatchObject({ enabled: true, reason: 'deploy 1.4.2' })
    const draining = await request(url, '/health')
    expect(draining.status).toBe(503)
    expect(draining.headers['retry-after']).toBe('5')
    expect((await request(url, '/health/live')).status).toBe(200)
    expect((await request(url, '/health/maintenance', { method: 'DELETE', headers: auth })).status).toBe(200)
    expect((await request(url, '/health')).status).toBe(200)
  })

  it('drains on SIGTERM while probed like a load balancer would, then exits 0', async () => {
    const { child, exited, output, url } = running()
    let exitCode: number | null | undefined
    void exited.then((code) => {
      exitCode = code
    })
    child.kill('SIGTERM')
    const seen: number[] = []
    const deadline = Date.now() + EXIT_TIMEOUT_MS
    while (exitCode === undefined && Date.now() < deadline) {
      try {
        seen.push((await request(url, '/health')).status)
      } catch {
        // Connection refused: the server stopped accepting, the drain is over.
      }
      await sleep(100)
    }
    expect({ exitCode, output: output() }).toEqual({ exitCode: 0, output: expect.any(String) })
    // Readiness answered 503 before the server went away.
    expect(seen).toContain(503)
  })
})

describe.each(['express', 'fastify', 'hono', 'bun', 'deno'])('the %s demo, hardened', (framework) => {
  it('refuses an admin token under 16 characters: exit 1 with a message naming the setting', async () => {
    const error = await startDemo(framework, { HEALTHGATE_ADMIN_TOKEN: 's3cret' }).then(
      () => undefined,
      (reason: Error) => reason,
    )
    expect(error?.message).toMatch(/exited with code 1 before listening/)
    expect(error?.message).toContain('HEALTHGATE_ADMIN_TOKEN is 6 characters long; it must be at least 16')
    expect(error?.message).not.toContain('s3cret')
  })

  it('with HEALTHGATE_ADMIN_PORT serves the admin API only there; the public port answers 404 for it', async () => {
    const demo = await startDemo(framework, { HEALTHGATE_ADMIN_PORT: '0' })
    try {
      await waitFor(() => /admin API on (http:\/\/\S+)\/health\/maintenance only/.test(demo.output()), 5000)
      const adminUrl = /admin API on (http:\/\/\S+)\/health\/maintenance only/.exec(demo.output())?.[1] ?? ''
      expect(adminUrl).not.toBe(demo.url)
      const auth = { authorization: `Bearer ${TOKEN}` }
      for (const method of ['GET', 'PUT', 'DELETE']) {
        expect([
          method,
          (await request(demo.url, '/health/maintenance', { method, headers: auth })).status,
        ]).toEqual([method, 404])
      }
      expect((await request(adminUrl, '/health/maintenance', { method: 'PUT', headers: auth })).status).toBe(
        200,
      )
      expect((await request(demo.url, '/health')).status).toBe(503)
      expect(
        (await request(adminUrl, '/health/maintenance', { method: 'DELETE', headers: auth })).status,
      ).toBe(200)
      expect(demo.output()).toContain(
        `-X DELETE -H "Authorization: Bearer $HEALTHGATE_ADMIN_TOKEN" ${adminUrl}/health/maintenance`,
      )
    } finally {
      demo.child.kill('SIGKILL')
      await demo.exited
    }
  })
})
