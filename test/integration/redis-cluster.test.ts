import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHealth } from '@healthgate/core'
import { redisCheck } from '@healthgate/redis'
import { Cluster, Redis } from 'ioredis'
import { cleanupRegistry } from '../support/cleanup.js'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy.js'
import { ADMIN_TOKEN, serve } from '../support/http.js'
import { sleep, waitFor } from '../support/wait.js'

// A real two-master Redis Cluster, started by this test on loopback ports (needs `redis-server` on PATH,
// as docs/services.md says), with a fault proxy in front of each master.

const later = cleanupRegistry()

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A port whose cluster-bus companion (port + 10000) is free as well. */
async function freeClusterPort(taken: number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 9000)
    if (taken.includes(port)) continue
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) return port
  }
  throw new Error('no free port pair for a Redis Cluster node')
}

async function startNode(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '5000',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  )
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(new Error(`cannot start redis-server for the cluster test: ${error.message}`)),
    )
    child.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with code ${code}`)))
  })
  exited.catch(() => {})
  later(child, (c) => {
    if (c.exitCode === null) c.kill('SIGKILL')
  })
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50 })
  probe.on('error', () => {})
  try {
    await Promise.race([waitFor(async () => (await probe.ping().catch(() => '')) === 'PONG', 5000), exited])
  } finally {
    probe.disconnect()
  }
  return child
}

async function startCluster() {
  const dir = later(mkdtempSync(join(tmpdir(), 'healthgate-cluster-')), (d) =>
    rmSync(d, { recursive: true, force: true }),
  )
  const first = await freeClusterPort([])
  const second = await freeClusterPort([first])
  await Promise.all([startNode(dir, first), startNode(dir, second)])
  const a = later(new Redis({ port: first, host: '127.0.0.1' }), (c) => c.disconnect())
  const b = later(new Redis({ port: second, host: '127.0.0.1' }), (c) => c.disconnect())
  await a.call('CLUSTER', 'ADDSLOTSRANGE', '0', '8191')
  await b.call('CLUSTER', 'ADDSLOTSRANGE', '8192', '16383')
  await a.call('CLUSTER', 'MEET', '127.0.0.1', String(second))
  const clusterOk = async (node: Redis) =>
    String(await node.call('CLUSTER', 'INFO')).includes('cluster_state:ok')
  await waitFor(async () => (await clusterOk(a)) && (await clusterOk(b)), 10_000)
  return { ports: [first, second] as const }
}

describe('redisCheck on a Redis Cluster', () => {
  test('every master must answer PING; a failing master is named', async () => {
    const { ports } = await startCluster()
    const proxies: FaultProxy[] = []
    for (const port of ports) {
      proxies.push(later(await createFaultProxy({ target: { host: '127.0.0.1', port } }), (p) => p.close()))
    }
    const [proxyA, proxyB] = proxies as [FaultProxy, FaultProxy]
    // The masters announce their own ports; the client is pointed at the proxies instead.
    const natMap = Object.fromEntries(
      ports.map((port, i) => [
        `127.0.0.1:${port}`,
        { host: '127.0.0.1', port: (proxies[i] as FaultProxy).port },
      ]),
    )
    const cluster = later(
      new Cluster([{ host: '127.0.0.1', port: proxyA.port }], {
        natMap,
        clusterRetryStrategy: () => 100,
      }),
      (c) => c.disconnect(),
    )
    cluster.on('error', () => {})
    await waitFor(() => cluster.status === 'ready', 5000)

    const health = later(
      createHealth({ checks: [redisCheck({ client: cluster }, { timeoutMs: 300, cacheTtlMs: 100 })] }),
      (h) => h.close(),
    )
    const server = later(await serve(health), (s) => s.close())
    const detailed = async () => {
      const response = await server.get('/health/ready', ADMIN_TOKEN)
      return { status: response.status, body: JSON.parse(response.body), ms: response.ms }
    }

    const healthy = await detailed()
    expect(healthy.status).toBe(200)
    expect(healthy.body.checks['redis:masters'][0].observedValue).toBe(2)
    const nodeB = `127.0.0.1:${proxyB.port}`

    // Master B black-holed: its PING is never answered.
    proxyB.setMode('blackhole')
    await sleep(120)
    const hung = await detailed()
    expect(hung.status).toBe(503)
    expect(hung.ms).toBeLessThan(300 + 700) // the deadline, with a margin a busy machine holds
    await sleep(120)
    const named = await detailed()
    expect(named.status).toBe(503)
    expect(named.body.checks['redis:responseTime'][0].output).toMatch(
      new RegExp(
        `^1 of 2 Redis Cluster masters failed: ${nodeB.replace(/\./g, '\\.')}: previous PING still unanswered`,
      ),
    )

    // Master B's connections reset: ioredis drops or reconnects it; the check names it without waiting.
    proxyB.setMode('reset')
    await sleep(150)
    const reset = await detailed()
    expect(reset.status).toBe(503)
    // Well before the 300 ms deadline (a margin for a busy machine): the reset is seen, not timed out.
    expect(reset.ms).toBeLessThan(250)
    expect(reset.body.checks['redis:responseTime'][0].output).toMatch(
      new RegExp(
        `masters failed: ${nodeB.replace(/\./g, '\\.')}: (connection is \\w+, not ready|not connected, yet slots are assigned to it)`,
      ),
    )

    proxyB.setMode('pass')
    // The check asks ioredis to refresh its slot map, so the dropped master comes back without app traffic.
    await waitFor(async () => (await detailed()).status === 200, 3000)
  })
})
