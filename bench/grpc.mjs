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
  process.on('disconnect', () => {
    server.forceShutdown()
    void health.close()
  })
}

/** Completed calls per second with `CONCURRENCY` calls always in flight over `CHANNELS` connections. */
async function measure(clients, method, durationMs) {
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
  return { rps: done / ((performance.now() - started) / 1000), errors }
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
  await measure(clients, 'Check', 1000) // warm-up, and fills the report cache
  await measure(clients, 'Ping', 1000)
  const check = []
  const unary = []
  for (let round = 0; round < ROUNDS; round++) {
    const a = await measure(clients, 'Check', DURATION_MS)
    const b = await measure(clients, 'Ping', DURATION_MS)
    if (a.errors + b.errors > 0) throw new Error(`${a.errors + b.errors} calls failed`)
    check.push(a.rps)
    unary.push(b.rps)
  }
  for (const client of clients) client.close()
  child.disconnect()
  const ratio = median(check) / median(unary)
  console.log('gRPC health Check (cached result) vs a trivial unary RPC on the same server')
  console.log(
    `  ${ROUNDS} rounds of ${DURATION_MS / 1000} s, ${CONCURRENCY} calls in flight over ${CHANNELS} connections`,
  )
  console.log(`  Check:       ${Math.round(median(check))} calls/s (median)`)
  console.log(`  trivial RPC: ${Math.round(median(unary))} calls/s (median)`)
  console.log(`  ratio:       ${ratio.toFixed(2)}x (target >= 0.90x) ${ratio >= 0.9 ? 'OK' : 'BELOW TARGET'}`)
  if (ratio < 0.9) process.exitCode = 1
}

if (process.argv[2] === 'serve') await serve()
else await main()
