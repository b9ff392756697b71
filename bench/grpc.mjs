// Check throughput of the gRPC health service on a cached result against a trivial unary RPC on the same
// server (target: at least 0.9x). The server runs in a child process; this process generates the load.
//
//   node bench/grpc.mjs            # after a build; part of `pnpm bench`, alone with `pnpm bench:grpc`
//   BENCH_DURATION=3 BENCH_ROUNDS=3 BENCH_CONCURRENCY=64 node bench/grpc.mjs
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { createHealth } from '@healthgate/core'
import { addHealthService, healthServiceDefinition } from '@healthgate/grpc'

const number = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback)
const DURATION_MS = number('BENCH_DURATION', 5) * 1000
const ROUNDS = number('BENCH_ROUNDS', 5)
const CONCURRENCY = number('BENCH_CONCURRENCY', 64)
const CHANNELS = 2

// The trivial RPC: same framing as Check (a request with one string, a one-varint answer), no work at all.
const ping = {
  ...healthServiceDefinition.Check,
  path: '/bench.Echo/Ping',
}
const echoDefinition = { Ping: ping }

async function serve() {
  const health = createHealth({
    checks: [{ name: 'dep', cacheTtlMs: 60_000, check: async () => {} }],
  })
  const server = new grpc.Server()
  addHealthService(server, health)
  server.addService(echoDefinition, { Ping: (_call, callback) => callback(null, 1) })
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  )
  process.send({ port })
  // The server's CPU time, so that throughput can be read per CPU second: on a shared machine wall-clock
  // calls/s mostly measure the neighbours.
  process.on('message', () => {
    const { user, system } = process.cpuUsage()
    process.send({ cpuMs: (user + system) / 1000 })
  })
  process.on('disconnect', () => {
    server.forceShutdown()
    void health.close()
  })
}

const serverCpuMs = (child) =>
  new Promise((resolve) => {
    child.once('message', ({ cpuMs }) => resolve(cpuMs))
    child.send('cpu')
  })

/**
 * Completed calls per second with `CONCURRENCY` calls always in flight over `CHANNELS` connections, by the
 * clock and per second of the server's CPU time.
 */
async function measure(child, clients, method, durationMs) {
  const cpuBefore = await serverCpuMs(child)
  let done = 0
  let errors = 0
  const until = performance.now() + durationMs
  const worker = async (client) => {
    while (performance.now() < until) {
      await new Promise((resolve) =>
        client[method]({ service: '' }, (error) => {
          if (error) errors++
          else done++
          resolve()
        }),
      )
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(clients[i % clients.length])))
  const elapsedS = (performance.now() - started) / 1000
  const cpuS = ((await serverCpuMs(child)) - cpuBefore) / 1000
  return { rps: done / elapsedS, perCpu: done / cpuS, errors }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function main() {
  const child = fork(fileURLToPath(import.meta.url), ['serve'], {
    env: { ...process.env, NODE_ENV: 'production' },
  })
  const { port } = await new Promise((resolve) => child.once('message', resolve))
  const Client = grpc.makeGenericClientConstructor({ ...healthServiceDefinition, ...echoDefinition }, 'Bench')
  // Distinct channel options, so that grpc-js opens one connection per client instead of sharing one.
  const clients = Array.from(
    { length: CHANNELS },
    (_, i) => new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'bench.channel': i }),
  )
  await measure(child, clients, 'Check', 1000) // warm-up, and fills the report cache
  await measure(child, clients, 'Ping', 1000)
  const check = []
  const unary = []
  for (let round = 0; round < ROUNDS; round++) {
    const a = await measure(child, clients, 'Check', DURATION_MS)
    const b = await measure(child, clients, 'Ping', DURATION_MS)
    if (a.errors + b.errors > 0) throw new Error(`${a.errors + b.errors} calls failed`)
    check.push(a)
    unary.push(b)
  }
  for (const client of clients) client.close()
  child.disconnect()
  const rps = (runs) => median(runs.map((run) => run.rps))
  const perCpu = (runs) => median(runs.map((run) => run.perCpu))
  const ratio = perCpu(check) / perCpu(unary)
  console.log('gRPC health Check (cached result) vs a trivial unary RPC on the same server')
  console.log(
    `  ${ROUNDS} rounds of ${DURATION_MS / 1000} s, ${CONCURRENCY} calls in flight over ${CHANNELS} connections`,
  )
  console.log('                calls/s   calls per server CPU second (medians)')
  console.log(`  Check:       ${String(Math.round(rps(check))).padStart(7)}   ${Math.round(perCpu(check))}`)
  console.log(`  trivial RPC: ${String(Math.round(rps(unary))).padStart(7)}   ${Math.round(perCpu(unary))}`)
  console.log(`  wall-clock ratio: ${(rps(check) / rps(unary)).toFixed(2)}x`)
  console.log(
    `  CPU ratio:        ${ratio.toFixed(2)}x (target >= 0.90x) ${ratio >= 0.9 ? 'OK' : 'BELOW TARGET'}`,
  )
  if (ratio < 0.9) process.exitCode = 1
}

if (process.argv[2] === 'serve') await serve()
else await main()
