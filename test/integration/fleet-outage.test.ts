import http from 'node:http'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.js'
import { type Haproxy, requireHaproxy, startHaproxy } from '../support/haproxy.js'
import { request, waitForStatus } from '../support/http.js'
import { freePorts } from '../support/ports.js'
import { endpointOf, PG_URL, REDIS_URL, uniqueSuffix, withEndpoint } from '../support/services.js'
import { killChildren, ROOT, spawnNode } from '../support/spawn.js'
import { sleep, waitFor } from '../support/wait.js'

// A shared outage through a real balancer: three instances of the Express demo behind HAProxy (which does not
// fail open), all using one PostgreSQL through a fault proxy, and a steady stream of requests to `GET /`, a
// route that does not need the database. PostgreSQL is then taken away from all of them. The control run,
// without a panic threshold, must see HAProxy mark all three down and that route fail; with
// HEALTHGATE_PANIC_THRESHOLD=0.5 not one request on it may fail, and once PostgreSQL returns the instances
// answer plain readiness again.

const DEMO = join(ROOT, 'examples/express/server.mjs')
const TOKEN = 'fleet-outage-test-token'
// HAProxy marks a server down after 3 failed checks 500 ms apart, as a production config would in seconds.
const CHECK = { interDelay: '500ms', fall: 3, rise: 2 }
const OUTAGE_MS = 6000
const CONCURRENCY = 4

interface RunResult {
  sent: number
  failures: number
  samples: string[]
  /** Whether HAProxy had every server down at some point of the outage. */
  allDown: boolean
  /** The readiness bodies' status on each instance during the outage, and after it. */
  duringStatuses: string[]
  afterStatuses: string[]
}

let haproxy: Haproxy | undefined
let proxy: FaultProxy | undefined
// Stops the load when a run fails half-way.
let later: (() => Promise<unknown>) | undefined
afterEach(async () => {
  await later?.()
  later = undefined
  await haproxy?.stop()
  haproxy = undefined
  await killChildren()
  await proxy?.close()
  proxy = undefined
})

/** Requests `GET /` through HAProxy from a few keep-alive workers until `done()`. */
function generateLoad(port: number, done: () => boolean) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  let sent = 0
  let failures = 0
  const samples: string[] = []
  const worker = async () => {
    while (!done()) {
      sent++
      try {
        const reply = await request(port, '/', { agent, timeoutMs: 5000 })
        if (reply.status !== 200) {
          failures++
          if (samples.length < 5) samples.push(`HTTP ${reply.status}: ${reply.body.slice(0, 60)}`)
        }
      } catch (error) {
        failures++
        if (samples.length < 5) samples.push((error as Error).message)
      }
      await sleep(10)
    }
  }
  return Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => {
    agent.destroy()
    return { sent, failures, samples }
  })
}

/**
 * What readiness says, in one word: `fail` (503), `panic` (200 held by the panic threshold), or `plain`
 * (200 from the checks alone: `pass`, or `warn` from the demo's non-critical system checks on a busy machine).
 */
const readiness = async (port: number): Promise<string> => {
  const reply = await request(port, '/health/ready', {
    headers: { authorization: `Bearer ${TOKEN}`, 'user-agent': 'fleet-outage-test' },
  })
  const body = JSON.parse(reply.body) as { status: string; output?: string }
  if (reply.status === 503) return 'fail'
  return body.output?.includes('fleet panic') ? 'panic' : 'plain'
}

async function outage(panicThreshold: string | undefined): Promise<RunResult> {
  requireHaproxy()
  proxy = await createFaultProxy({ target: endpointOf(PG_URL, 5432) })
  const service = `outage-${uniqueSuffix()}`
  const ports = await freePorts(4)
  const [frontendPort, ...instancePorts] = ports as [number, ...number[]]
  const admin = new Redis(REDIS_URL)
  try {
    const children = instancePorts.map((port) =>
      spawnNode(DEMO, {
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        HEALTHGATE_ADMIN_TOKEN: TOKEN,
        DATABASE_URL: withEndpoint(PG_URL, proxy as FaultProxy),
        HEALTHGATE_FLEET_REDIS_URL: REDIS_URL,
        HEALTHGATE_SERVICE: service,
        ...(panicThreshold ? { HEALTHGATE_PANIC_THRESHOLD: panicThreshold } : {}),
      }),
    )
    for (const child of children) await child.waitFor(/listening on/, 15_000)
    for (const port of instancePorts) {
      await waitForStatus(port, '/health/ready', 200, { headers: { 'user-agent': 'fleet-outage-test' } })
    }
    haproxy = await startHaproxy({ frontendPort, backendPorts: instancePorts, ...CHECK })
    for (const name of ['s1', 's2', 's3']) await haproxy.waitUntilUp(name)

    let stop = false
    const load = generateLoad(frontendPort, () => stop)
    later = async () => {
      stop = true
      await load
    }
    await sleep(1000)
    proxy.setMode('reset')
    const outageEnds = Date.now() + OUTAGE_MS
    let allDown = false
    const duringStatuses = new Set<string>()
    while (Date.now() < outageEnds) {
      const servers = await (haproxy as Haproxy).servers()
      if ([...servers.values()].every((server) => server.status.startsWith('DOWN'))) allDown = true
      if (Date.now() > outageEnds - 2000) {
        for (const port of instancePorts) duringStatuses.add(await readiness(port))
      }
      await sleep(200)
    }
    proxy.setMode('pass')
    // Back to plain readiness on every instance: pass, no panic.
    for (const port of instancePorts)
      await waitFor(async () => (await readiness(port)) === 'plain', 15_000, 100)
    for (const name of ['s1', 's2', 's3']) await haproxy.waitUntilUp(name)
    const afterStatuses = await Promise.all(instancePorts.map(readiness))
    stop = true
    const { sent, failures, samples } = await load
    return {
      sent,
      failures,
      samples,
      allDown,
      duringStatuses: [...duringStatuses].sort(),
      afterStatuses,
    }
  } finally {
    const keys = await admin.keys(`healthgate:fleet:{${service}}:*`)
    if (keys.length > 0) await admin.del(...keys)
    admin.disconnect()
  }
}

describe('a PostgreSQL outage shared by three instances behind HAProxy', () => {
  test('control, no panic threshold: HAProxy marks all three down and the route without the database fails', async () => {
    const result = await outage(undefined)
    console.log(
      `outage without panic threshold: ${result.failures} of ${result.sent} requests to GET / failed (${result.samples[0] ?? ''})`,
    )
    expect(result.allDown).toBe(true)
    expect(result.failures).toBeGreaterThan(0)
    expect(result.duringStatuses).toEqual(['fail'])
    expect(result.afterStatuses).toEqual(['plain', 'plain', 'plain'])
  }, 90_000)

  test('panic threshold 0.5: not one request to the route without the database fails, then plain readiness', async () => {
    const result = await outage('0.5')
    console.log(
      `outage with panic threshold 0.5: ${result.failures} of ${result.sent} requests to GET / failed`,
    )
    expect(result.samples).toEqual([])
    expect(result.failures).toBe(0)
    expect(result.sent).toBeGreaterThan(200)
    expect(result.allDown).toBe(false)
    // During the outage the instances answered 200 held by the panic, after it plain readiness.
    expect(result.duringStatuses).toEqual(['panic'])
    expect(result.afterStatuses).toEqual(['plain', 'plain', 'plain'])
  }, 90_000)
})
