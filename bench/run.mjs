// Throughput, latency and dependency load of health routes: healthgate on Express, Fastify and node:http
// against the bare route of each framework and against peer libraries. See docs/performance.md.
//
//   pnpm bench                       # builds, then runs everything (about 7 minutes on 2 cores)
//   BENCH_ONLY=node-bare,node-healthgate BENCH_ROUNDS=1 node bench/run.mjs
//   BENCH_INSTRUCTIONS=20000 pnpm bench  # instead: the servers' instructions per request (valgrind)
//
// The fast-path variants (attachHealth) are in bench/fastpath.mjs, which reuses the helpers exported here.
//
// Every server runs in a child process of its own (bench/server.mjs), started and stopped per
// measurement, so the load generator never shares its event loop. Variants are interleaved round by
// round and the medians reported.
import { execFile, fork } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createBlackholeProxy } from './blackhole-proxy.mjs'
import { pgCommits, pgReadCost, redisPings, SETTLE_MS } from './counters.mjs'

const PG_URL = process.env.PG_URL || 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url))
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))

export const config = {
  duration: envNumber('BENCH_DURATION', 5),
  warmup: envNumber('BENCH_WARMUP', 1),
  rounds: envNumber('BENCH_ROUNDS', 5),
  connections: envNumber('BENCH_CONNECTIONS', 50),
  blackholeDuration: envNumber('BENCH_BLACKHOLE_DURATION', 12),
  timeout: envNumber('BENCH_TIMEOUT', 10),
  only: process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((name) => name.trim()) : undefined,
  // Set: count the servers' instructions instead (callgrind), over windows of this many requests.
  instructions: process.env.BENCH_INSTRUCTIONS ? envNumber('BENCH_INSTRUCTIONS', 0) : undefined,
}
const SETTINGS = [
  'BENCH_DURATION',
  'BENCH_WARMUP',
  'BENCH_ROUNDS',
  'BENCH_CONNECTIONS',
  'BENCH_BLACKHOLE_DURATION',
  'BENCH_TIMEOUT',
  'BENCH_ONLY',
  'BENCH_INSTRUCTIONS',
]
/** The command that repeats this run, with the settings it was given. */
const REPRODUCE = [
  ...SETTINGS.filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`),
  'pnpm bench',
].join(' ')
/** healthgate's defaults, which the benchmark keeps: the targets are stated against them. */
const DEADLINE_MS = 800
const CACHE_TTL_MS = 1000

// `baseline`: the bare route of the same framework; `clients`: the bare route in a process that also holds the
// dependency clients and runs the checks (see bench/server.mjs), what the libraries' own cost is read against.
const HEALTHY = [
  { id: 'express-bare', library: 'bare route', framework: 'Express', baseline: 'express-bare' },
  {
    id: 'express-bare-clients',
    library: 'bare route, with clients',
    framework: 'Express',
    baseline: 'express-bare',
  },
  {
    id: 'express-healthgate',
    library: 'healthgate',
    framework: 'Express',
    baseline: 'express-bare',
    clients: 'express-bare-clients',
  },
  {
    id: 'express-terminus',
    library: '@godaddy/terminus',
    framework: 'Express',
    baseline: 'express-bare',
    clients: 'express-bare-clients',
  },
  { id: 'fastify-bare', library: 'bare route', framework: 'Fastify', baseline: 'fastify-bare' },
  {
    id: 'fastify-bare-clients',
    library: 'bare route, with clients',
    framework: 'Fastify',
    baseline: 'fastify-bare',
  },
  {
    id: 'fastify-healthgate',
    library: 'healthgate',
    framework: 'Fastify',
    baseline: 'fastify-bare',
    clients: 'fastify-bare-clients',
  },
  {
    id: 'fastify-under-pressure',
    library: '@fastify/under-pressure',
    framework: 'Fastify',
    baseline: 'fastify-bare',
    clients: 'fastify-bare-clients',
  },
  { id: 'node-bare', library: 'bare route', framework: 'node:http', baseline: 'node-bare' },
  {
    id: 'node-bare-clients',
    library: 'bare route, with clients',
    framework: 'node:http',
    baseline: 'node-bare',
  },
  {
    id: 'node-healthgate',
    library: 'healthgate',
    framework: 'node:http',
    baseline: 'node-bare',
    clients: 'node-bare-clients',
  },
  // Only on request (BENCH_ONLY): a bare route sending healthgate's answer, see docs/performance.md.
  {
    id: 'fastify-bare-json',
    library: 'bare route, health body',
    framework: 'Fastify',
    baseline: 'fastify-bare',
    extra: true,
  },
  {
    id: 'node-bare-json',
    library: 'bare route, health body',
    framework: 'node:http',
    baseline: 'node-bare',
    extra: true,
  },
  // Only on request: healthgate with checks that do no I/O (the route's own cost, without the dependencies').
  {
    id: 'fastify-healthgate-noop',
    library: 'healthgate, no-I/O checks',
    framework: 'Fastify',
    baseline: 'fastify-bare',
    extra: true,
    noDependencies: true,
  },
  {
    id: 'node-healthgate-noop',
    library: 'healthgate, no-I/O checks',
    framework: 'node:http',
    baseline: 'node-bare',
    extra: true,
    noDependencies: true,
  },
].filter((variant) => (config.only ? config.only.includes(variant.id) : !variant.extra))
const BLACKHOLE = HEALTHY.filter(
  (variant) => !variant.library.startsWith('bare route') && !variant.noDependencies,
)

function envNumber(name, fallback) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!(value > 0)) throw new TypeError(`Expected \`${name}\` to be a positive number, got \`${raw}\``)
  return value
}

export const log = (message) => process.stderr.write(`${message}\n`)

/**
 * Starts one variant in its own process; resolves once it listens. `callgrind`: the file to count the
 * server's instructions into, with counting off until `callgrind_control --instr=on`.
 */
export function startServer(variant, env = {}, { callgrind } = {}) {
  const underValgrind = callgrind
    ? {
        execPath: 'valgrind',
        execArgv: [
          '--tool=callgrind',
          '--instr-atstart=no',
          // V8 writes machine code into its heap; valgrind must notice code that changes.
          '--smc-check=all-non-file',
          `--callgrind-out-file=${callgrind}`,
          '--log-file=/dev/null',
          process.execPath,
        ],
      }
    : {}
  const child = fork(SERVER, [variant], {
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...underValgrind,
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`${variant} exited (${code}) before it listened`))
    child.once('exit', onExit)
    child.on('message', (message) => {
      if (message?.type === 'error') reject(new Error(`${variant}: ${message.message}`))
      if (message?.type !== 'ready') return
      child.off('exit', onExit)
      resolve({
        port: message.port,
        pid: child.pid,
        /**
         * Resolves `{ served, cpuMicros }`: requests the server saw and the CPU time it spent since it
         * listened; `undefined` when it had to be killed.
         */
        async stop(graceMs = 5000) {
          const stopped = new Promise((done) => {
            child.on('message', (reply) => {
              if (reply?.type === 'stopped') done({ served: reply.served, cpuMicros: reply.cpuMicros })
            })
          })
          child.send({ type: 'stop' })
          const report = await Promise.race([stopped, sleep(graceMs, undefined)])
          if (report === undefined) child.kill('SIGKILL')
          await exited
          return report
        },
      })
    })
  })
}

export function cannon(options) {
  return autocannon({ connections: config.connections, timeout: config.timeout, ...options })
}

function get(url) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: 5000, agent: false }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode))
    })
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} within 5 s`)))
    request.on('error', reject)
  })
}

async function measureHealthy(variant, context) {
  const pgBefore = await pgCommits(PG_URL)
  const redisBefore = await redisPings(context.redis)
  const server = await startServer(variant.id)
  const url = `http://127.0.0.1:${server.port}/health`
  const loadStarted = performance.now()
  await cannon({ url, duration: config.warmup })
  const result = await cannon({ url, duration: config.duration })
  const loadedSeconds = (performance.now() - loadStarted) / 1000
  const report = await server.stop()
  await sleep(SETTLE_MS)
  const pgQueries = (await pgCommits(PG_URL)) - pgBefore - context.pgReadCost
  const redisPingCount = (await redisPings(context.redis)) - redisBefore
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statusCodes: statusCodes(result),
    errors: result.errors,
    timeouts: result.timeouts,
    served: report?.served,
    cpuMicros: report?.cpuMicros,
    loadedSeconds,
    pgQueries: Math.max(0, pgQueries),
    redisPings: redisPingCount,
  }
}

async function measureBlackhole(variant) {
  const pgTarget = new URL(PG_URL)
  const proxy = await createBlackholeProxy({ host: pgTarget.hostname, port: Number(pgTarget.port) || 5432 })
  const proxied = new URL(PG_URL)
  proxied.hostname = '127.0.0.1'
  proxied.port = String(proxy.port)
  try {
    const server = await startServer(variant.id, { PG_URL: proxied.toString() })
    const url = `http://127.0.0.1:${server.port}/health`
    try {
      // Every library gets its PostgreSQL and Redis connections open before the fault, as in production.
      const warm = await get(url)
      if (warm !== 200) throw new Error(`${variant.id} answered ${warm} before the fault`)
      proxy.blackhole()
      const result = await cannon({ url, duration: config.blackholeDuration })
      return {
        responses: result.requests.total,
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
        statusCodes: statusCodes(result),
        timeouts: result.timeouts,
        errors: result.errors,
      }
    } finally {
      // Peers keep queries hung on the black-holed connection; their pools cannot end gracefully.
      await server.stop(2000)
    }
  } finally {
    await proxy.close()
  }
}

const run = promisify(execFile)

/** Whether valgrind's callgrind and its control program are installed. */
export async function haveCallgrind() {
  try {
    await run('valgrind', ['--version'])
    await run('callgrind_control', ['--version'])
    return true
  } catch {
    return false
  }
}

/**
 * The server's own instructions per cached health request, counted by callgrind: what a request costs in
 * CPU work, whatever else the machine is doing. After a warm-up, counting runs over one window to settle
 * (the JIT is still finishing its work) and two measured ones; the result is the mean of those two.
 * Checks cache their results for longer than the run (`BENCH_CACHE_TTL_MS`): under valgrind a server
 * answers some 50 times fewer requests per second, so the one check run per TTL would weigh 50 times
 * more per request than it does at full speed.
 */
export async function measureInstructions(variant, directory) {
  const file = join(directory, `${variant.id}.callgrind`)
  const server = await startServer(variant.id, { BENCH_CACHE_TTL_MS: String(3_600_000) }, { callgrind: file })
  const url = `http://127.0.0.1:${server.port}/health`
  const requests = Math.round(config.instructions)
  const windows = []
  try {
    // A few connections keep a server under valgrind busy.
    const load = (amount) => cannon({ url, amount, connections: 10, timeout: 60 })
    await load(requests)
    await run('callgrind_control', ['--instr=on', String(server.pid)])
    for (let window = 0; window < 3; window++) {
      windows.push(await load(requests))
      // Writes the counts so far to `${file}.${window + 1}` and starts again from zero.
      await run('callgrind_control', ['--dump', String(server.pid)])
    }
  } finally {
    await server.stop(60_000)
  }
  const perRequest = []
  for (let window = 1; window < 3; window++) {
    const totals = /^totals: (\d+)/m.exec(await readFile(`${file}.${window + 1}`, 'utf8'))
    if (!totals) throw new Error(`callgrind wrote no totals for ${variant.id}`)
    perRequest.push(Number(totals[1]) / windows[window].requests.total)
  }
  const codes = {}
  for (const result of windows) {
    for (const [code, count] of Object.entries(statusCodes(result))) codes[code] = (codes[code] ?? 0) + count
  }
  return {
    perRequest: (perRequest[0] + perRequest[1]) / 2,
    windows: perRequest,
    statusCodes: codes,
  }
}

export function statusCodes(result) {
  return Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]),
  )
}

export const median = (values) => {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function summarize(rounds) {
  const summary = {}
  for (const variant of HEALTHY) {
    const runs = rounds.map((round) => round[variant.id]).filter(Boolean)
    const served = runs.reduce((sum, run) => sum + (run.served ?? 0), 0)
    const cpuMicros = runs.reduce((sum, run) => sum + (run.cpuMicros ?? 0), 0)
    const loaded = runs.reduce((sum, run) => sum + run.loadedSeconds, 0)
    const pgQueries = runs.reduce((sum, run) => sum + run.pgQueries, 0)
    const redisPingCount = runs.reduce((sum, run) => sum + run.redisPings, 0)
    const codes = {}
    for (const run of runs) {
      for (const [code, count] of Object.entries(run.statusCodes)) codes[code] = (codes[code] ?? 0) + count
    }
    summary[variant.id] = {
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      p50: median(runs.map((run) => run.p50)),
      p99: median(runs.map((run) => run.p99)),
      cpuPerRequest: served > 0 ? cpuMicros / served : Number.NaN,
      pgPerRequest: served > 0 ? pgQueries / served : Number.NaN,
      redisPerRequest: served > 0 ? redisPingCount / served : Number.NaN,
      pgPerSecond: pgQueries / loaded,
      redisPerSecond: redisPingCount / loaded,
      statusCodes: codes,
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      served,
    }
  }
  // Each round's ratio to the bare route of the same round, then the median: a machine that gets slower or
  // faster between rounds moves both sides of a ratio alike.
  const ratioTo = (variant, other) =>
    median(
      rounds
        .filter((round) => round[variant.id] && round[other])
        .map((round) => round[variant.id].requestsPerSecond / round[other].requestsPerSecond),
    )
  for (const variant of HEALTHY) {
    summary[variant.id].ratio = ratioTo(variant, variant.baseline)
    summary[variant.id].clientsRatio = variant.clients ? ratioTo(variant, variant.clients) : Number.NaN
  }
  return summary
}

export const integer = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a')
export const ms = (value) => (Number.isFinite(value) ? String(Math.round(value * 100) / 100) : 'n/a')
const perRequest = (value) => {
  if (!Number.isFinite(value)) return 'n/a'
  if (value === 0) return '0'
  return value >= 0.1 ? value.toFixed(2) : value.toFixed(5)
}
const perSecond = (value) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a')
export const codesText = (codes) =>
  Object.entries(codes)
    .map(([code, count]) => `${integer(count)}×${code}`)
    .join(', ') || 'none'

export async function environment() {
  const require = createRequire(import.meta.url)
  const versionOf = async (name) => {
    try {
      const path = require.resolve(`${name}/package.json`)
      return JSON.parse(await readFile(path, 'utf8')).version
    } catch {
      return 'unknown'
    }
  }
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  const pgVersion = (await client.query('SHOW server_version')).rows[0]?.server_version
  await client.end()
  const redis = new Redis(REDIS_URL)
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1]
  redis.disconnect()
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model?.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    platform: `${os.type()} ${os.release()}`,
    versions: {
      express: await versionOf('express'),
      fastify: await versionOf('fastify'),
      '@godaddy/terminus': await versionOf('@godaddy/terminus'),
      '@fastify/under-pressure': await versionOf('@fastify/under-pressure'),
      autocannon: await versionOf('autocannon'),
      pg: await versionOf('pg'),
      ioredis: await versionOf('ioredis'),
      PostgreSQL: pgVersion,
      Redis: redisVersion,
    },
  }
}

/** Date, Node, machine and versions: the first lines of every results file. */
export function environmentLines(env) {
  return [
    `${env.date.slice(0, 10)} · Node ${env.node} · ${env.cpu} · ${env.cores} cores · ${env.platform}`,
    '',
    Object.entries(env.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(' · '),
    '',
  ]
}

const reproduceLine = () =>
  `Reproduce: \`${REPRODUCE}\` (settings: ${[...SETTINGS, 'PG_URL', 'REDIS_URL'].map((name) => `\`${name}\``).join(', ')}; ` +
  'see docs/performance.md).'

function renderInstructions(env, instructions) {
  const lines = ['# healthgate benchmark results: instructions per request', '', ...environmentLines(env)]
  const byId = Object.fromEntries(instructions.map(({ variant, result }) => [variant.id, result]))
  lines.push(
    `Counted by callgrind (valgrind) in the server process, user space only (the kernel's socket work is not ` +
      `in it): after a warm-up of ${integer(config.instructions)} requests, one window of as many to settle and ` +
      'two measured ones, 10 connections; the mean of the two. Checks keep their cached results for the whole ' +
      'run, so these are cached requests, as nearly all are at full speed. The two windows and repeated runs ' +
      'agree within about 3 %, whatever else the machine does. "bare ÷ this" is the bare route\'s count ' +
      "divided by this variant's: the ratio of requests per second of two servers that are busy with " +
      'nothing else. ' +
      '"bare with clients ÷ this" divides by the bare route in a process that holds the same dependency ' +
      'clients and runs the same checks in the background (see docs/performance.md).',
    '',
    '| Library | Framework | instructions / request | windows | bare ÷ this | bare with clients ÷ this | status codes |',
    '|---|---|--:|--:|--:|--:|---|',
  )
  const ratioOf = (other, result) => (other ? (other.perRequest / result.perRequest).toFixed(2) : 'n/a')
  for (const { variant, result } of instructions) {
    const withClients = variant.clients ? ratioOf(byId[variant.clients], result) : '—'
    lines.push(
      `| ${variant.library} | ${variant.framework} | ${integer(result.perRequest)} | ` +
        `${result.windows.map(integer).join(' / ')} | ${ratioOf(byId[variant.baseline], result)} | ${withClients} | ` +
        `${codesText(result.statusCodes)} |`,
    )
  }
  lines.push('', reproduceLine(), '')
  return lines.join('\n')
}

function render(env, summary, blackhole) {
  const lines = []
  lines.push('# healthgate benchmark results', '')
  lines.push(
    ...environmentLines(env),
    `autocannon on loopback, ${config.connections} connections, keep-alive; each server in its own process; ` +
      `${config.rounds} interleaved rounds of ${config.duration} s (after ${config.warmup} s warm-up); medians ` +
      '(the ratio is the median of the per-round ratios). ' +
      'healthgate runs a PostgreSQL (pg Pool), a Redis (ioredis) and a memory check with its defaults ' +
      `(deadline ${DEADLINE_MS} ms, cache ${CACHE_TTL_MS} ms); the peers run \`SELECT 1\` and \`PING\` per request. ` +
      'Round trips are counted at the servers (`pg_stat_database.xact_commit`, `INFO commandstats`). ' +
      '"bare route, with clients" is the bare route in a process that also holds the pg Pool and the ioredis ' +
      "client and refreshes healthgate's checks in the background: the process the health routes run in, " +
      'without a health route (see docs/performance.md).',
    '',
    '## Healthy dependencies',
    '',
    '| Library | Framework | req/s | vs bare route | vs bare route with clients | p50 ms | p99 ms | server CPU µs / request | PostgreSQL queries / request | Redis PINGs / request | PostgreSQL queries / s | Redis PINGs / s |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  )
  const ratioText = (value) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a')
  for (const variant of HEALTHY) {
    const row = summary[variant.id]
    lines.push(
      `| ${variant.library} | ${variant.framework} | ${integer(row.requestsPerSecond)} | ` +
        `${variant.id === variant.baseline ? '1.00' : ratioText(row.ratio)} | ` +
        `${variant.clients ? ratioText(row.clientsRatio) : '—'} | ${ms(row.p50)} | ${ms(row.p99)} | ` +
        `${ms(row.cpuPerRequest)} | ` +
        `${perRequest(row.pgPerRequest)} | ${perRequest(row.redisPerRequest)} | ${perSecond(row.pgPerSecond)} | ` +
        `${perSecond(row.redisPerSecond)} |`,
    )
  }
  const odd = HEALTHY.filter((variant) => {
    const row = summary[variant.id]
    return row.errors > 0 || Object.keys(row.statusCodes).some((code) => code !== '200')
  })
  if (odd.length > 0) {
    lines.push('', 'Responses other than 200:')
    for (const variant of odd) {
      const row = summary[variant.id]
      lines.push(`- ${variant.id}: ${codesText(row.statusCodes)}; ${row.errors} errors`)
    }
  }
  if (blackhole.length > 0) {
    lines.push(
      '',
      '## PostgreSQL black-holed',
      '',
      `The PostgreSQL connection runs through a TCP proxy that, after one healthy request, drops every byte ` +
        `in both directions. ${config.connections} connections for ${config.blackholeDuration} s; ` +
        `autocannon gives up on a request after ${config.timeout} s (a timeout). Latencies are of the answered requests.`,
      '',
      '| Library | Framework | answered | status codes | p50 ms | p99 ms | max ms | timeouts |',
      '|---|---|--:|---|--:|--:|--:|--:|',
    )
    for (const { variant, result } of blackhole) {
      const answered = result.responses > 0
      lines.push(
        `| ${variant.library} | ${variant.framework} | ${integer(result.responses)} | ${codesText(result.statusCodes)} | ` +
          `${answered ? ms(result.p50) : '—'} | ${answered ? ms(result.p99) : '—'} | ${answered ? ms(result.max) : '—'} | ` +
          `${integer(result.timeouts)} |`,
      )
    }
  }
  lines.push('', reproduceLine(), '')
  return lines.join('\n')
}

/**
 * The variants of one framework run back to back, so that a ratio compares measurements seconds apart,
 * and in reverse order every other round (A B C, C B A, ...), so that neither side of a ratio always runs
 * first. The frameworks take turns at the start of a round.
 */
function roundOrder(round) {
  const frameworks = [...new Set(HEALTHY.map((variant) => variant.framework))]
  const ordered = []
  for (let index = 0; index < frameworks.length; index++) {
    const framework = frameworks[(index + round) % frameworks.length]
    const group = HEALTHY.filter((variant) => variant.framework === framework)
    ordered.push(...(round % 2 === 0 ? group : group.reverse()))
  }
  return ordered
}

async function countInstructions(env) {
  if (!(await haveCallgrind())) {
    throw new Error('BENCH_INSTRUCTIONS needs valgrind: apt-get update && apt-get install -y valgrind')
  }
  const instructions = []
  const directory = await mkdtemp(join(os.tmpdir(), 'healthgate-bench-'))
  try {
    for (const variant of HEALTHY) {
      log(`instructions: ${variant.id}`)
      const result = await measureInstructions(variant, directory)
      log(
        `  ${integer(result.perRequest)} instructions/request (${result.windows.map(integer).join(', ')}), ` +
          codesText(result.statusCodes),
      )
      instructions.push({ variant, result })
    }
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
  const markdown = renderInstructions(env, instructions)
  await mkdir(RESULTS, { recursive: true })
  await writeFile(new URL('instructions.md', `file://${RESULTS}`), markdown)
  process.stdout.write(`${markdown}\nWritten to bench/results/instructions.md.\n`)
}

/**
 * `config.rounds` rounds of the healthy measurement, the variants of round `n` in the order `order(n)`;
 * resolves one `{ [variant id]: result }` per round. `label` prefixes the progress lines.
 */
export async function measureRounds(order, label = '') {
  const redis = new Redis(REDIS_URL)
  const context = { redis, pgReadCost: await pgReadCost(PG_URL) }
  const rounds = []
  try {
    for (let round = 0; round < config.rounds; round++) {
      const results = {}
      for (const variant of order(round)) {
        log(`${label}round ${round + 1}/${config.rounds}: ${variant.id}`)
        results[variant.id] = await measureHealthy(variant, context)
        const last = results[variant.id]
        const cpu = last.served ? ms(last.cpuMicros / last.served) : 'n/a'
        log(
          `  ${integer(last.requestsPerSecond)} req/s, p99 ${ms(last.p99)} ms, ${cpu} µs CPU/request, ` +
            `${codesText(last.statusCodes)}`,
        )
      }
      rounds.push(results)
    }
  } finally {
    redis.disconnect()
  }
  return rounds
}

async function main() {
  const env = await environment()
  if (config.instructions !== undefined) return countInstructions(env)
  const rounds = await measureRounds(roundOrder)
  const blackhole = []
  for (const variant of BLACKHOLE) {
    log(`black hole: ${variant.id}`)
    const result = await measureBlackhole(variant)
    log(`  answered ${result.responses}, p99 ${ms(result.p99)} ms, ${integer(result.timeouts)} timeouts`)
    blackhole.push({ variant, result })
  }
  const summary = summarize(rounds)
  const markdown = render(env, summary, blackhole)
  await mkdir(RESULTS, { recursive: true })
  await writeFile(new URL('latest.md', `file://${RESULTS}`), markdown)
  await writeFile(
    new URL('latest.json', `file://${RESULTS}`),
    `${JSON.stringify({ env, config, rounds, summary, blackhole }, null, 2)}\n`,
  )
  process.stdout.write(`${markdown}\nWritten to bench/results/latest.md (raw numbers: latest.json).\n`)
  process.stdout.write(`Reproduce: ${REPRODUCE}\n`)
}

// Run as a script; bench/fastpath.mjs imports the helpers above.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exitCode = 1
  })
}
