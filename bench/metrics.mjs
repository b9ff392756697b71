// What metrics cost (docs/performance.md, "Metrics"): one scrape of a health with 100 checks, and the
// health route's throughput while Prometheus-style scrapes run every second, against no scraping.
//
//   pnpm bench                        # runs this after bench/run.mjs
//   node bench/metrics.mjs            # only this (after `pnpm run build`)
//   BENCH_DURATION=5 BENCH_ROUNDS=5 node bench/metrics.mjs
import { fork } from 'node:child_process'
import http from 'node:http'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { createHealth, createNodeListener } from '@healthgate/core'
import { healthMetrics } from '@healthgate/prometheus'
import autocannon from 'autocannon'
import { collectDefaultMetrics, Registry } from 'prom-client'

const duration = Number(process.env.BENCH_DURATION || 5)
const rounds = Number(process.env.BENCH_ROUNDS || 5)
const connections = Number(process.env.BENCH_CONNECTIONS || 50)
const SCRAPES = 500

/** A health with `count` checks that do no I/O, every one with a result, some failing. */
async function healthWith(count) {
  const checks = Array.from({ length: count }, (_, index) => ({
    name: `check-${index}`,
    critical: index % 10 !== 0,
    check: async () => {
      if (index % 10 === 0) throw new Error('down')
    },
  }))
  const health = createHealth({ checks })
  await health.evaluate()
  return health
}

/** The server of the throughput measurement: node:http, healthgate on /health, prom-client on /metrics. */
async function serve() {
  const health = await healthWith(10)
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  healthMetrics(health, { registry })
  const routes = createNodeListener(health)
  const server = http.createServer(async (request, response) => {
    if (request.url === '/metrics') {
      response.setHeader('Content-Type', registry.contentType)
      response.end(await registry.metrics())
      return
    }
    routes(request, response)
  })
  server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }))
  process.on('message', () => process.exit(0))
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]

/** Wall and CPU time of one scrape of a registry holding `checks` checks' metrics (and the process metrics). */
async function scrapeCost(checks = 100, processMetrics = false) {
  const health = await healthWith(checks)
  const registry = new Registry()
  if (processMetrics) collectDefaultMetrics({ register: registry })
  healthMetrics(health, { registry })
  let runs = 0
  health.onCheckResult(() => runs++)
  for (let index = 0; index < 50; index++) await registry.metrics()
  const times = []
  let bytes = 0
  const cpu = process.cpuUsage()
  for (let index = 0; index < SCRAPES; index++) {
    const started = performance.now()
    bytes = (await registry.metrics()).length
    times.push(performance.now() - started)
  }
  const { user, system } = process.cpuUsage(cpu)
  await health.close()
  const cpuMs = (user + system) / 1000 / SCRAPES
  return { median: median(times), p99: quantile(times, 0.99), cpuMs, bytes, checkRuns: runs }
}

async function throughput(scraping) {
  const child = fork(fileURLToPath(import.meta.url), ['server'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const { port } = await new Promise((resolve) => child.once('message', resolve))
  const url = `http://127.0.0.1:${port}`
  let scrapes = 0
  const timer = scraping
    ? setInterval(() => {
        fetch(`${url}/metrics`).then(async (response) => {
          await response.arrayBuffer()
          if (response.status === 200) scrapes++
        })
      }, 1000)
    : undefined
  await autocannon({ url: `${url}/health`, connections, duration: 1 })
  const result = await autocannon({ url: `${url}/health`, connections, duration })
  clearInterval(timer)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.send({ type: 'stop' })
  await exited
  return {
    requests: result.requests.average,
    p99: result.latency.p99,
    scrapes,
    errors: result.errors + result.non2xx,
  }
}

if (process.argv[2] === 'server') {
  await serve()
} else {
  const cost = await scrapeCost()
  // What the throughput server answers on /metrics: its CPU time, once a second, bounds what scraping can cost.
  const served = await scrapeCost(10, true)
  const none = []
  const every = []
  for (let round = 0; round < rounds; round++) {
    none.push(await throughput(false))
    every.push(await throughput(true))
  }
  const rps = (list) => median(list.map((entry) => entry.requests))
  const p99 = (list) => median(list.map((entry) => entry.p99))
  const change = ((rps(every) - rps(none)) / rps(none)) * 100
  const spread = (list) => {
    const values = list.map((entry) => entry.requests)
    return ((Math.max(...values) - Math.min(...values)) / median(values)) * 100
  }
  const lines = [
    `## Metrics (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})`,
    '',
    `One scrape of a health with 100 checks (healthgate's metrics, ${cost.bytes} bytes): median ${cost.median.toFixed(3)} ms, p99 ${cost.p99.toFixed(3)} ms over ${SCRAPES} scrapes (CPU time ${cost.cpuMs.toFixed(3)} ms a scrape); check runs caused by the scrapes: ${cost.checkRuns}.`,
    '',
    `The /metrics answer of the throughput server below (process metrics + 10 checks, ${served.bytes} bytes) takes ${served.cpuMs.toFixed(3)} ms of CPU: scraped once a second, ${(served.cpuMs / 10).toFixed(3)} % of one core.`,
    '',
    `| GET /health, node:http, ${connections} connections, ${duration} s x ${rounds} rounds | req/s (median) | p99 ms | spread of rounds |`,
    '|---|---|---|---|',
    `| no scraping | ${Math.round(rps(none))} | ${p99(none)} | ${spread(none).toFixed(1)} % |`,
    `| a scrape of /metrics every second (process + healthgate metrics) | ${Math.round(rps(every))} | ${p99(every)} | ${spread(every).toFixed(1)} % |`,
    '',
    `Change with scraping: ${change >= 0 ? '+' : ''}${change.toFixed(1)} %; scrapes answered: ${every.reduce((sum, entry) => sum + entry.scrapes, 0)}; errors or non-2xx: ${[...none, ...every].reduce((sum, entry) => sum + entry.errors, 0)}.`,
  ]
  console.log(lines.join('\n'))
}
