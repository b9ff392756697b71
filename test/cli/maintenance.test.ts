import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createHealth,
  createNodeListener,
  type Health,
  type HealthOptions,
  memoryMaintenance,
} from '@healthgate/core'
import { waitFor } from '../support/wait.js'
import { type RunResult, run } from './run.js'

const TOKEN = 's3cret-cli-admin-token'
const env = { HEALTHGATE_ADMIN_TOKEN: TOKEN }

interface Instance {
  health: Health
  server: Server
  /** The health mount, e.g. http://127.0.0.1:1234/health */
  url: string
}

const instances: Instance[] = []
const probers: Array<{ stop(): Promise<void> }> = []

afterEach(async () => {
  await Promise.all(probers.splice(0).map((prober) => prober.stop()))
  for (const { health, server } of instances.splice(0)) {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    await health.close()
  }
})

/** A real instance: the core health and its node:http listener, admin API enabled unless `adminToken: null`. */
async function startInstance(
  options: HealthOptions = {},
  adminToken: string | null = TOKEN,
  listener?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Instance> {
  const health = createHealth(options)
  const handle = listener ?? createNodeListener(health, adminToken === null ? {} : { adminToken })
  const server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const instance = {
    health,
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`,
  }
  instances.push(instance)
  return instance
}

/** Plays a load balancer: GET {url}/ready every `everyMs` with its own User-Agent, counting the 503s. */
function startProber(url: string, everyMs = 40, userAgent = 'ELB-HealthChecker/2.0') {
  const seen: number[] = []
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let inFlight: Promise<void> = Promise.resolve()
  const tick = () => {
    inFlight = fetch(`${url}/ready`, { headers: { 'user-agent': userAgent } })
      .then(async (response) => {
        seen.push(response.status)
        await response.body?.cancel()
      })
      .catch(() => {})
      .then(() => {
        if (!stopped) timer = setTimeout(tick, everyMs)
      })
  }
  tick()
  const prober = {
    seen,
    consecutive503: () => {
      let count = 0
      for (let i = seen.length - 1; i >= 0 && seen[i] === 503; i--) count++
      return count
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await inFlight
    },
  }
  probers.push(prober)
  return prober
}

function expectNoToken(result: RunResult) {
  expect(result.stdout).not.toContain(TOKEN)
  expect(result.stderr).not.toContain(TOKEN)
}

describe('maintenance against the core listener', () => {
  test('status, on and off flip readiness, with a human summary', async () => {
    const { url, health } = await startInstance()

    const status = await run(['maintenance', 'status', '--url', url], { env })
    expect(status).toEqual({
      code: 0,
      stdout: 'maintenance: off\n  no load balancer has probed readiness recently\n',
      stderr: '',
    })

    const on = await run(['maintenance', 'on', '--url', `${url}/`, '--reason', 'deploy 42'], { env })
    expect(on.code).toBe(0)
    expect(on.stdout).toMatch(
      /^maintenance on: on since \S+ \(reason: deploy 42, source: memory, drained: (yes|no)\)\n$/,
    )
    expect(health.maintenance).toMatchObject({ enabled: true, reason: 'deploy 42' })
    expect((await fetch(`${url}/ready`)).status).toBe(503)

    const off = await run(['maintenance', 'off', '--url', url], { env })
    expect(off).toEqual({ code: 0, stdout: 'maintenance off: off\n', stderr: '' })
    expect(health.maintenance.enabled).toBe(false)
    expectNoToken(on)
  })

  test('--json prints the server state as one JSON line', async () => {
    const { url } = await startInstance()
    const result = await run(['maintenance', 'on', '--url', url, '--json'], { env })
    expect(result.code).toBe(0)
    const state = JSON.parse(result.stdout)
    expect(state).toMatchObject({ enabled: true, source: 'memory', draining: true })
    expect(result.stdout.trim().split('\n')).toHaveLength(1)
  })

  test('on --wait returns only once the load balancer has seen the 503s (drained: true)', async () => {
    const { url } = await startInstance({ unhealthyThreshold: 3 })
    const prober = startProber(url)
    await waitFor(() => prober.seen.length >= 3)
    expect(prober.seen.every((status) => status === 200)).toBe(true)

    const result = await run(
      ['maintenance', 'on', '--url', url, '--wait', '--interval', '30ms', '--timeout', '5s'],
      {
        env,
      },
    )
    expect(result.code).toBe(0)
    expect(prober.consecutive503()).toBeGreaterThanOrEqual(3)
    expect(result.stdout).toMatch(/drained: yes\); drained after [\d.]+ (ms|s)\n$/)
    // Not a terminal: one line per change, each with the balancer's 503s against the threshold.
    const lines = result.stderr.trim().split('\n')
    expect(lines.length).toBeGreaterThanOrEqual(1)
    for (const line of lines) {
      expect(line).toMatch(/^[\d.]+ (ms|s): waiting for 127\.0\.0\.1 ELB-HealthChecker\/2\.0 [0-2]\/3 503s$/)
    }
    expect(new Set(lines.map((line) => line.replace(/^[^:]+: /, ''))).size).toBe(lines.length)
    expectNoToken(result)
  })

  test('after one-off requests (curl, healthgate probe, the CLI polls) on --wait returns once the balancer let go, not after proberTtlMs', async () => {
    // proberTtlMs at its default (60 s): a one-off request waited for would stall the command that long.
    const { url, health } = await startInstance({ unhealthyThreshold: 2 })
    // A periodic balancer without a known User-Agent: confirmed by its steady interval.
    const prober = startProber(url, 60, 'custom-balancer/1.0')
    await waitFor(() => prober.seen.length >= 4)
    await fetch(`${url}/ready`, { headers: { 'user-agent': 'curl/8.5.0' } }).then((r) => r.arrayBuffer())
    expect((await run(['probe', `${url}/ready`])).code).toBe(0)
    expect((await run(['maintenance', 'status', url], { env })).code).toBe(0)
    expect(health.drainStatus()).toMatchObject({
      probers: [{ id: '127.0.0.1 custom-balancer/1.0', kind: 'periodic' }],
      unconfirmed: 2,
    })
    // And a curl right before the drain.
    await fetch(url, { headers: { 'user-agent': 'curl/8.6.0' } }).then((r) => r.arrayBuffer())
    const started = Date.now()
    const result = await run(['maintenance', 'on', url, '--wait', '--interval', '20ms', '--timeout', '20s'], {
      env,
    })
    expect(result.code).toBe(0)
    expect(Date.now() - started).toBeLessThan(5000)
    // The control: the balancer really saw the threshold of 503s before the command returned.
    expect(prober.consecutive503()).toBeGreaterThanOrEqual(2)
  })

  test('a periodic balancer that never lets go holds --wait until the timeout (the control)', async () => {
    const { url } = await startInstance({ unhealthyThreshold: 1000 })
    const prober = startProber(url, 50, 'custom-balancer/1.0')
    await waitFor(() => prober.seen.length >= 4)
    const result = await run(
      ['maintenance', 'on', url, '--wait', '--interval', '50ms', '--timeout', '800ms'],
      {
        env,
      },
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('still holding the drain: 127.0.0.1 custom-balancer/1.0')
  })

  test('on --wait fails with exit 1 at --timeout when the drain is never confirmed', async () => {
    const { url, health } = await startInstance({ unhealthyThreshold: 1000 })
    const prober = startProber(url)
    await waitFor(() => prober.seen.length >= 2)
    const started = Date.now()
    const result = await run(
      ['maintenance', 'on', '--url', url, '--wait', '--interval', '50ms', '--timeout', '400ms'],
      { env },
    )
    expect(Date.now() - started).toBeLessThan(1500)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(
      /healthgate: timed out after 400 ms waiting for the drain: 1 balancer still holding the drain: 127\.0\.0\.1 ELB-HealthChecker\/2\.0 \(\d+\/1000 503s\)\n$/,
    )
    // The maintenance itself was entered: the operator decides what to do next.
    expect(health.maintenance.enabled).toBe(true)
  })

  test('on --wait draws progress on a terminal and clears it', async () => {
    const { url } = await startInstance({ unhealthyThreshold: 2 })
    const prober = startProber(url, 60)
    await waitFor(() => prober.seen.length >= 2)
    const result = await run(['maintenance', 'on', '--url', url, '--wait', '--interval', '20ms'], {
      env,
      tty: true,
    })
    expect(result.code).toBe(0)
    // A live line redrawn in place: the balancer with its 503s against the threshold, elapsed and timeout.
    expect(result.stderr).toMatch(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal control sequences are the point
      /\r\u001b\[2K\u001b\[36mdrain\u001b\[0m \u001b\[2m[\d.]+ (ms|s) \/ 2 min\u001b\[0m waiting for \u001b\[1m127\.0\.0\.1 ELB-HealthChecker\/2\.0\u001b\[0m \u001b\[33m[01]\/2\u001b\[0m 503s/,
    )
    expect(result.stderr).not.toContain('\n')
    expect(result.stderr.endsWith('\r\u001b[2K')).toBe(true)
  })

  test('NO_COLOR keeps the live line plain', async () => {
    const { url } = await startInstance({ unhealthyThreshold: 2 })
    const prober = startProber(url, 60)
    await waitFor(() => prober.seen.length >= 2)
    const result = await run(['maintenance', 'on', url, '--wait', '--interval', '20ms', '--timeout', '30s'], {
      env: { ...env, NO_COLOR: '1' },
      tty: true,
    })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal control sequences are the point
      /\r\u001b\[2Kdrain [\d.]+ (ms|s) \/ 30 s waiting for 127\.0\.0\.1 ELB-HealthChecker\/2\.0 [01]\/2 503s/,
    )
    expect(result.stderr.replaceAll('\r\u001b[2K', '')).not.toContain('\u001b')
  })

  test('--json: one JSON line per change while waiting, then the final state', async () => {
    const { url } = await startInstance({ unhealthyThreshold: 3 })
    const prober = startProber(url, 60)
    await waitFor(() => prober.seen.length >= 2)
    const result = await run(['maintenance', 'on', '--url', url, '--wait', '--interval', '20ms', '--json'], {
      env,
    })
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    const events = lines.slice(0, -1)
    expect(events.length).toBeGreaterThanOrEqual(1)
    for (const event of events) {
      expect(event).toMatchObject({
        event: 'waiting',
        waitingFor: 'drain',
        timeoutMs: 120_000,
        threshold: 3,
        holding: [{ id: '127.0.0.1 ELB-HealthChecker/2.0', consecutive503: expect.any(Number) }],
      })
    }
    expect(lines.at(-1)).toMatchObject({ enabled: true, drained: true })
  })

  test('off --wait returns once readiness answers 200 again', async () => {
    const { url, health } = await startInstance()
    await health.enterMaintenance('deploy')
    expect((await fetch(`${url}/ready`)).status).toBe(503)
    const result = await run(['maintenance', 'off', '--url', url, '--wait', '--interval', '20ms'], { env })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^maintenance off: off; ready after [\d.]+ (ms|s)\n$/)
    expect((await fetch(`${url}/ready`)).status).toBe(200)
  })

  test('off --wait times out with exit 1 while a critical check keeps readiness at 503', async () => {
    const { url } = await startInstance({
      checks: [
        {
          name: 'db',
          check: () => {
            throw new Error('down')
          },
        },
      ],
    })
    const result = await run(
      // Room for a slow start on a busy machine: the deadline also covers the DELETE before the first poll.
      ['maintenance', 'off', '--url', url, '--wait', '--interval', '50ms', '--timeout', '1500ms'],
      { env },
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^[\d.]+ (ms|s): waiting for .*\/ready to answer 200: it answers 503\n/)
    expect(
      result.stderr.endsWith(
        `healthgate: timed out after 1.5 s waiting for ${url}/ready to answer 200: it answers 503\n`,
      ),
    ).toBe(true)
  })

  test('a wrong token: exit 1, "token rejected", and the token never printed', async () => {
    const { url, health } = await startInstance()
    const result = await run(['maintenance', 'on', '--url', url], {
      env: { HEALTHGATE_ADMIN_TOKEN: 'wrong-token' },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `healthgate: token rejected (PUT ${url}/maintenance answered 401): check HEALTHGATE_ADMIN_TOKEN\n`,
    )
    expect(result.stderr).not.toContain('wrong-token')
    expect(health.maintenance.enabled).toBe(false)
  })

  test('admin API disabled on the server (404): exit 1 with the hint', async () => {
    const previous = process.env.HEALTHGATE_ADMIN_TOKEN
    delete process.env.HEALTHGATE_ADMIN_TOKEN
    try {
      const { url } = await startInstance({}, null)
      const result = await run(['maintenance', 'status', '--url', url], { env })
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        `healthgate: admin API not enabled (set HEALTHGATE_ADMIN_TOKEN on the server) (GET ${url}/maintenance ` +
          'answered 404); also check that --url is the health mount\n',
      )
    } finally {
      if (previous !== undefined) process.env.HEALTHGATE_ADMIN_TOKEN = previous
    }
  })

  test('a fleet-wide store triggers the ALB fail-open warning', async () => {
    const memory = memoryMaintenance()
    const fleet = {
      read: () => ({ ...memory.read(), source: 'redis', scope: 'fleet' as const }),
      set: (enabled: boolean, reason?: string) => memory.set(enabled, reason),
    }
    const { url } = await startInstance({ maintenance: fleet })
    const result = await run(['maintenance', 'on', '--url', url], { env })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('warning: this maintenance change is fleet-wide')
    expect(result.stderr).toContain('fails open')
    const single = await startInstance()
    expect((await run(['maintenance', 'on', '--url', single.url], { env })).stderr).toBe('')
  })

  test('an unreachable server: exit 1', async () => {
    const { url, server } = await startInstance()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const result = await run(['maintenance', 'status', '--url', url], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `healthgate: cannot reach GET ${url}/maintenance: fetch failed (ECONNREFUSED)\n`,
    )
  })
})

describe('maintenance against a server without drain tracking', () => {
  test('on --wait falls back to waiting for /ready to answer 503', async () => {
    let enabled = false
    let readyPolls = 0
    const seenAuth: string[] = []
    const agents: string[] = []
    const stub = (req: IncomingMessage, res: ServerResponse) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      if (req.url === '/health/ready') {
        readyPolls++
        // Readiness lags the flag by a few polls, like a cached readiness answer would.
        return send(enabled && readyPolls > 3 ? 503 : 200, {})
      }
      if (req.url !== '/health/maintenance') return send(404, {})
      seenAuth.push(req.headers.authorization ?? '')
      agents.push(req.headers['user-agent'] ?? '')
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, {})
      if (req.method === 'PUT') enabled = true
      if (req.method === 'DELETE') enabled = false
      send(200, { enabled, source: 'legacy' })
    }
    const { url } = await startInstance({}, TOKEN, stub)
    const result = await run(['maintenance', 'on', '--url', url, '--wait', '--interval', '10ms'], { env })
    expect(result.code).toBe(0)
    expect(readyPolls).toBeGreaterThanOrEqual(4)
    expect(result.stdout).toMatch(/^maintenance on: on \(source: legacy\); drained after/)
    expect(seenAuth.every((header) => header === `Bearer ${TOKEN}`)).toBe(true)
    // Identifiable in the server's prober list, apart from the load balancers.
    expect(agents.length).toBeGreaterThan(1)
    expect(agents.every((agent) => /^healthgate-cli\/\d+\.\d+\.\d+$/.test(agent))).toBe(true)
  })
})

describe('maintenance usage errors (exit 2, nothing sent)', () => {
  test('--token is refused, and its value never echoed', async () => {
    for (const argv of [
      ['maintenance', 'on', '--url', 'http://127.0.0.1:1/health', '--token', 'hunter2'],
      ['maintenance', 'on', '--url', 'http://127.0.0.1:1/health', '--token=hunter2'],
    ]) {
      const result = await run(argv, { env })
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(
        '--token is not accepted: command-line arguments are visible to every user in `ps`',
      )
      expect(result.stderr).toContain('HEALTHGATE_ADMIN_TOKEN')
      expect(result.stderr).not.toContain('hunter2')
    }
  })

  test('a missing or empty HEALTHGATE_ADMIN_TOKEN', async () => {
    for (const tokenEnv of [{}, { HEALTHGATE_ADMIN_TOKEN: '' }, { HEALTHGATE_ADMIN_TOKEN: '  ' }]) {
      const result = await run(['maintenance', 'status', '--url', 'http://127.0.0.1:1/health'], {
        env: tokenEnv,
      })
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('healthgate: HEALTHGATE_ADMIN_TOKEN is not set')
    }
  })

  test.each([
    [['maintenance'], 'missing action: on, off or status'],
    [
      ['maintenance', 'pause', '--url', 'http://a.example/health'],
      "unknown action 'pause' (expected on, off or status)",
    ],
    [
      ['maintenance', 'on', 'now', '--url', 'http://a.example/health'],
      "the URL is given twice ('now' and --url 'http://a.example/health')",
    ],
    [['maintenance', 'on', 'http://a.example/health', 'now'], "unexpected argument 'now'"],
    [['maintenance', 'on'], 'missing <url> (as an argument or --url, e.g. http://127.0.0.1:3000/health)'],
    [
      ['maintenance', 'on', '--url', 'localhost:3000'],
      "invalid URL for --url: 'localhost:3000' (expected http:// or https://)",
    ],
    [
      ['maintenance', 'off', '--url', 'http://a.example/health', '--reason', 'x'],
      '--reason only applies to maintenance on',
    ],
    [
      ['maintenance', 'status', '--url', 'http://a.example/health', '--wait'],
      '--wait applies to on and off, not status',
    ],
    [
      ['maintenance', 'on', '--url', 'http://a.example/health', '--timeout', '2 min'],
      "invalid duration for --timeout: '2 min' (use e.g. 500ms, 2s, 1m, or a plain number of milliseconds)",
    ],
    [
      ['maintenance', 'on', '--url', 'http://a.example/health', '--interval', '-5'],
      "option '--interval' needs a value",
    ],
    [
      ['maintenance', 'on', '--url', 'http://a.example/health', '--fleet'],
      'unknown option `--fleet`; Known options: --url, --reason, --wait, --wait-for-budget, --force, --timeout, --interval, --json, --help',
    ],
    [
      ['maintenance', 'on', '--url', 'http://a.example/health', '--wiat'],
      'unknown option `--wiat`; did you mean `--wait`? Known options: --url, --reason, --wait, --wait-for-budget, --force, --timeout, --interval, --json, --help',
    ],
  ])('%j', async (argv, message) => {
    const result = await run(argv, { env })
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `healthgate: ${message}\nRun 'healthgate maintenance --help' for usage.\n`,
    })
  })
})
