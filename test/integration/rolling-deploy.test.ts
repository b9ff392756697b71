import { spawn } from 'node:child_process'
import http from 'node:http'
import { join } from 'node:path'
import { type Haproxy, requireHaproxy, startHaproxy } from '../support/haproxy.js'
import { request, waitForStatus } from '../support/http.js'
import { freePorts } from '../support/ports.js'
import { type Child, killChildren, ROOT, spawnNode } from '../support/spawn.js'
import { sleep } from '../support/wait.js'

// A zero-downtime rolling deploy through a real HAProxy: three instances of the Express demo behind it, a
// steady stream of requests through it, and every instance replaced one after the other. With
// `healthgate maintenance on --wait` before each SIGTERM not one request may fail. The control run replaces
// the instances the way most servers stop (SIGTERM, close at once, no drain) and must see failures, or the
// setup would be unable to catch any.

const DEMO = join(ROOT, 'examples/express/server.mjs')
const CLI = join(ROOT, 'packages/cli/dist/cli.js')
const TOKEN = 'rolling-deploy-test-token'
const MIN_REQUESTS = 2000
const MAX_REQUESTS = 200_000
const CONCURRENCY = 12
const CHECK = { interDelay: '100ms', fall: 2, rise: 2 }

type Mode = 'graceful' | 'immediate'

interface Instance {
  name: string
  port: number
  child: Child
}

interface RunResult {
  sent: number
  /** Requests started between the first instance going and the last one back. */
  sentDuringRoll: number
  failures: number
  samples: string[]
  /** Per instance: the drain wait `maintenance on --wait` reports (until HAProxy had seen the instance down). */
  drainWaitsMs: number[]
  rollMs: number
  /** One-off probes with unique User-Agents sent straight to the instances during the real run. */
  oneOffProbes: number
}

let haproxy: Haproxy | undefined
afterEach(async () => {
  await haproxy?.stop()
  haproxy = undefined
  await killChildren()
})

async function startInstance(name: string, port: number, mode: Mode): Promise<Instance> {
  const child = spawnNode(DEMO, {
    PORT: String(port),
    HOST: '127.0.0.1',
    HEALTHGATE_ADMIN_TOKEN: TOKEN,
    HEALTHGATE_SHUTDOWN: mode,
  })
  await child.waitFor(/listening on/)
  // Its own User-Agent, so that the test is a prober of its own and not mistaken for HAProxy's checks.
  await waitForStatus(port, '/health/ready', 200, { headers: { 'user-agent': 'rolling-deploy-test' } })
  return { name, port, child }
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, HEALTHGATE_ADMIN_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Requests `GET /` through HAProxy from `CONCURRENCY` keep-alive workers until `done()` and at least `MIN_REQUESTS`. */
function generateLoad(port: number, done: () => boolean) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  let sent = 0
  let failures = 0
  const samples: string[] = []
  const fail = (what: string) => {
    failures++
    if (samples.length < 10) samples.push(what)
  }
  const worker = async () => {
    while (sent < MAX_REQUESTS && !(done() && sent >= MIN_REQUESTS)) {
      sent++
      try {
        const reply = await request(port, '/', { agent, timeoutMs: 5000 })
        if (reply.status < 200 || reply.status > 299) fail(`HTTP ${reply.status}: ${reply.body.slice(0, 80)}`)
      } catch (error) {
        fail(`${(error as NodeJS.ErrnoException).code ?? ''} ${(error as Error).message}`)
      }
      // A little breathing room so the load does not starve the health checks on a 2-core machine.
      await sleep(1)
    }
  }
  const finished = Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => {
    agent.destroy()
    return { sent, failures, samples }
  })
  return { finished, sent: () => sent }
}

/**
 * The hostile part: uptime monitors, scripts and curious developers hitting every instance's `/health`
 * directly, each request with a User-Agent never seen before, on a fresh connection. None of them is a load
 * balancer, so none may hold up a drain.
 */
function oneOffProbes(ports: () => number[], done: () => boolean) {
  let sent = 0
  const worker = async (offset: number) => {
    while (!done()) {
      const current = ports()
      const port = current[(sent + offset) % current.length] ?? 0
      sent++
      await request(port, '/health', {
        headers: { 'user-agent': `uptime-monitor/${sent}-${offset}` },
        timeoutMs: 2000,
      }).catch(() => {}) // an instance being replaced refuses: these requests are not the traffic under test
      await sleep(15)
    }
  }
  const finished = Promise.all([0, 1].map(worker)).then(() => sent)
  return { finished }
}

/** A burst of `count` one-off probes right before a drain, so that hundreds are seen however fast the roll is. */
async function oneOffBurst(port: number, count: number, tag: string): Promise<number> {
  let sent = 0
  const worker = async () => {
    while (sent < count) {
      const n = sent++
      await request(port, '/health', {
        headers: { 'user-agent': `uptime-burst/${tag}-${n}` },
        timeoutMs: 2000,
      })
    }
  }
  await Promise.all(Array.from({ length: 10 }, worker))
  return sent
}

async function rollingDeploy(mode: Mode, useMaintenance: boolean): Promise<RunResult> {
  const [frontendPort = 0, ...backendPorts] = await freePorts(4)
  let instances = await Promise.all(
    backendPorts.map((port, index) => startInstance(`s${index + 1}`, port, mode)),
  )
  haproxy = await startHaproxy({ frontendPort, backendPorts, ...CHECK })
  const proxy = haproxy
  await Promise.all(instances.map((instance) => proxy.waitUntilUp(instance.name)))

  let rolled = false
  const load = generateLoad(frontendPort, () => rolled)
  const hostile = useMaintenance
    ? oneOffProbes(
        () => instances.map((instance) => instance.port),
        () => rolled,
      )
    : undefined
  await sleep(500) // traffic flows to all three before the first one goes
  const started = performance.now()
  const sentBefore = load.sent()
  const drainWaitsMs: number[] = []
  let burstProbes = 0
  for (const [index, instance] of instances.entries()) {
    if (useMaintenance) {
      burstProbes += await oneOffBurst(instance.port, 100, instance.name)
      // A curl right before the drain: seen once, healthy, and never to come back.
      await request(instance.port, '/health', { headers: { 'user-agent': 'curl/8.5.0' } })
      const cli = await runCli([
        'maintenance',
        'on',
        '--wait',
        '--url',
        `http://127.0.0.1:${instance.port}/health`,
        '--timeout',
        '30s',
        '--interval',
        '50ms',
        '--reason',
        'rolling deploy test',
      ])
      const reported = /drained after ([\d.]+) (ms|s)\b/.exec(cli.stdout)
      if (reported) drainWaitsMs.push(Math.round(Number(reported[1]) * (reported[2] === 's' ? 1000 : 1)))
      if (cli.code !== 0 || !reported)
        throw new Error(`maintenance on --wait failed (${cli.code}): ${cli.stdout}${cli.stderr}`)
    }
    instance.child.process.kill('SIGTERM')
    const exit = await instance.child.exited
    if (exit.code !== 0) {
      throw new Error(`${instance.name} exited with ${JSON.stringify(exit)}:\n${instance.child.stderr}`)
    }
    const replacement = await startInstance(instance.name, instance.port, mode)
    instances = instances.map((current, i) => (i === index ? replacement : current))
    await proxy.waitUntilUp(instance.name)
  }
  const rollMs = Math.round(performance.now() - started)
  const sentDuringRoll = load.sent() - sentBefore
  rolled = true
  const { sent, failures, samples } = await load.finished
  const oneOffs = ((await hostile?.finished) ?? 0) + burstProbes
  return { sent, sentDuringRoll, failures, samples, drainWaitsMs, rollMs, oneOffProbes: oneOffs }
}

describe('rolling deploy through HAProxy', () => {
  it('fails no request with maintenance on --wait before each SIGTERM, even with one-off probes and a curl before each drain, and fails some without', async () => {
    requireHaproxy()

    const real = await rollingDeploy('graceful', true)
    await haproxy?.stop()
    haproxy = undefined
    await killChildren()
    const control = await rollingDeploy('immediate', false)

    // One line for the record: what was sent, what failed, how long the drains took.
    console.log(
      `rolling deploy: real run ${real.failures}/${real.sent} failed (${real.sentDuringRoll} during the ` +
        `${real.rollMs} ms roll; drain waits ${real.drainWaitsMs.join(', ')} ms; ${real.oneOffProbes} one-off ` +
        'probes with unique User-Agents and a curl before each drain); control run ' +
        `${control.failures}/${control.sent} failed (${control.sentDuringRoll} during the ${control.rollMs} ms roll; ` +
        `e.g. ${[...new Set(control.samples)].slice(0, 3).join(' | ').replace(/\s+/g, ' ')})`,
    )
    expect(real.sent).toBeGreaterThanOrEqual(MIN_REQUESTS)
    // The traffic really flowed while the instances were replaced.
    expect(real.sentDuringRoll).toBeGreaterThanOrEqual(500)
    expect({ failures: real.failures, samples: real.samples }).toEqual({ failures: 0, samples: [] })
    // HAProxy needs `fall` checks to see an instance down: the drain cannot be confirmed faster than that.
    for (const wait of real.drainWaitsMs) expect(wait).toBeGreaterThanOrEqual(100)
    // Neither the one-off probes nor the curl held a drain up: each confirmed well before proberTtlMs (60 s).
    expect(real.drainWaitsMs).toHaveLength(3)
    for (const wait of real.drainWaitsMs) expect(wait).toBeLessThan(3000)
    expect(real.oneOffProbes).toBeGreaterThanOrEqual(300)

    expect(control.sent).toBeGreaterThanOrEqual(MIN_REQUESTS)
    expect(control.sentDuringRoll).toBeGreaterThanOrEqual(200)
    if (control.failures === 0) {
      throw new Error(
        `The control run (SIGTERM without drain) failed no request out of ${control.sent}: this setup cannot ` +
          'tell a zero-downtime deploy from a careless one, so its zero in the real run proves nothing.',
      )
    }
  }, 180_000)
})
