// Throughput of healthgate's fetch handler on Hono (Node), Bun.serve and Deno.serve (and Hono on Bun and
// Deno), each against its own bare route in the same runtime (target: at least 0.9x). See docs/runtimes.md.
//
//   node bench/fetch.mjs            # after a build; part of `pnpm bench`, alone with `pnpm bench:fetch`
//   BENCH_DURATION=3 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 BENCH_ONLY=bun,deno node bench/fetch.mjs
//
// Every server runs in a process of its own (bench/fetch-server.mjs, started by the real node, bun and deno
// binaries), for the whole run; this process generates the load with autocannon, interleaving each pair
// round by round. Throughput is reported by the clock and per second of the server's CPU time (read from
// /proc): on a shared machine the wall-clock figure mostly measures the neighbours.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const number = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback)
const DURATION = number('BENCH_DURATION', 5)
const ROUNDS = number('BENCH_ROUNDS', 5)
const CONNECTIONS = number('BENCH_CONNECTIONS', 50)
const ONLY = process.env.BENCH_ONLY?.split(',').map((name) => name.trim())
const SERVER = fileURLToPath(new URL('./fetch-server.mjs', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TICKS_PER_SECOND = 100

const require = createRequire(join(ROOT, 'package.json'))
const binary = (runtime) => {
  if (runtime === 'node') return [process.execPath]
  const directory = dirname(require.resolve(`${runtime}/package.json`))
  if (runtime === 'bun') return [join(directory, 'bin/bun.exe')]
  return [join(directory, 'deno'), 'run', '--allow-env', '--allow-read', '--allow-net=127.0.0.1']
}

// Each pair: healthgate's route and the bare route it is read against, same runtime, same server shape.
const PAIRS = [
  { id: 'hono-node', label: 'Hono on Node (@hono/node-server)', runtime: 'node', prefix: 'hono-' },
  { id: 'bun', label: 'Bun.serve', runtime: 'bun', prefix: '' },
  { id: 'deno', label: 'Deno.serve', runtime: 'deno', prefix: '' },
  { id: 'hono-bun', label: 'Hono on Bun', runtime: 'bun', prefix: 'hono-' },
  { id: 'hono-deno', label: 'Hono on Deno', runtime: 'deno', prefix: 'hono-' },
].filter((pair) => !ONLY || ONLY.includes(pair.id))

async function start(runtime, variant) {
  const [command, ...args] = binary(runtime)
  const child = spawn(command, [...args, SERVER, variant], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })
  const [line] = await Promise.race([
    new Promise((resolve) => lines.once('line', (text) => resolve([text]))),
    new Promise((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${runtime} ${variant}: exit ${code}`))),
    ),
  ])
  return { child, port: JSON.parse(line).port }
}

/** User + system CPU time of a process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

async function measure(server, path, duration) {
  const before = cpuSeconds(server.child.pid)
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${path}`,
    connections: CONNECTIONS,
    duration,
  })
  const cpu = cpuSeconds(server.child.pid) - before
  const failed = result.errors + result.timeouts + result.non2xx
  if (failed > 0) throw new Error(`${path}: ${failed} requests failed`)
  return { rps: result.requests.average, perCpu: result.requests.total / Math.max(cpu, 0.01) }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const rows = []
for (const pair of PAIRS) {
  const healthgate = await start(pair.runtime, `${pair.prefix}healthgate`)
  const bare = await start(pair.runtime, `${pair.prefix}bare`)
  try {
    await measure(healthgate, '/health/ready', 1)
    await measure(bare, '/health', 1)
    const runs = { healthgate: [], bare: [] }
    for (let round = 0; round < ROUNDS; round++) {
      runs.healthgate.push(await measure(healthgate, '/health/ready', DURATION))
      runs.bare.push(await measure(bare, '/health', DURATION))
    }
    const pick = (list, key) => median(list.map((run) => run[key]))
    rows.push({
      ...pair,
      rps: pick(runs.healthgate, 'rps'),
      bareRps: pick(runs.bare, 'rps'),
      perCpu: pick(runs.healthgate, 'perCpu'),
      barePerCpu: pick(runs.bare, 'perCpu'),
    })
  } finally {
    healthgate.child.kill('SIGKILL')
    bare.child.kill('SIGKILL')
  }
}

console.log('healthgate GET /health/ready (cached) vs a bare GET /health in the same runtime and server')
console.log(`  ${ROUNDS} rounds of ${DURATION} s, ${CONNECTIONS} connections; medians`)
console.log(
  '  variant                            req/s   bare req/s  ratio   per CPU s  bare per CPU s  CPU ratio',
)
let below = false
for (const row of rows) {
  const ratio = row.perCpu / row.barePerCpu
  below ||= ratio < 0.9
  console.log(
    `  ${row.label.padEnd(33)} ${String(Math.round(row.rps)).padStart(6)}   ${String(Math.round(row.bareRps)).padStart(10)}  ` +
      `${(row.rps / row.bareRps).toFixed(2)}x  ${String(Math.round(row.perCpu)).padStart(9)}  ` +
      `${String(Math.round(row.barePerCpu)).padStart(14)}  ${ratio.toFixed(2)}x ${ratio >= 0.9 ? 'OK' : 'BELOW TARGET (0.90x)'}`,
  )
}
if (below) process.exitCode = 1
