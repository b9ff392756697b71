// The fast path (attachHealth; the Fastify plugin's `fastPath`) against the framework modes, a bare route
// sending the same health body and @godaddy/terminus, per framework. See docs/performance.md, "Fast path".
//
//   pnpm bench                              # runs this after bench/run.mjs, bench/metrics.mjs and bench/grpc.mjs
//   BENCH_ROUNDS=3 node bench/fastpath.mjs  # only this (after `pnpm run build`)
//   BENCH_INSTRUCTIONS=20000 node bench/fastpath.mjs  # instead: instructions per request (valgrind)
//
// The servers, measurements and settings are bench/run.mjs's (bench/server.mjs holds the variants).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  codesText,
  config,
  environment,
  environmentLines,
  haveCallgrind,
  integer,
  log,
  measureInstructions,
  measureRounds,
  median,
  ms,
} from './run.mjs'

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))
/** The command that repeats this run, with the settings it was given. */
const REPRODUCE = [
  ...Object.keys(process.env)
    .filter((name) => name.startsWith('BENCH_') && name !== 'BENCH_CACHE_TTL_MS')
    .sort()
    .map((name) => `${name}=${process.env[name]}`),
  'node bench/fastpath.mjs',
].join(' ')

// `baseline`: the bare route sending the body healthgate sends (the same bytes and headers), in the same
// framework. "no-I/O checks": the route's own cost, without the dependency clients in the process; the
// others run the PostgreSQL, Redis and memory checks of bench/run.mjs (terminus queries per request).
const VARIANTS = [
  { id: 'express-bare-json', framework: 'Express', library: 'bare route, health body' },
  { id: 'express-healthgate-fast-noop', framework: 'Express', library: 'fast path, no-I/O checks' },
  { id: 'express-healthgate-noop', framework: 'Express', library: 'middleware, no-I/O checks' },
  { id: 'express-healthgate-fast', framework: 'Express', library: 'fast path' },
  { id: 'express-healthgate', framework: 'Express', library: 'middleware' },
  { id: 'express-terminus', framework: 'Express', library: '@godaddy/terminus' },
  { id: 'fastify-bare-json', framework: 'Fastify', library: 'bare route, health body' },
  { id: 'fastify-healthgate-fast-noop', framework: 'Fastify', library: 'fast path, no-I/O checks' },
  { id: 'fastify-healthgate-noop', framework: 'Fastify', library: 'plugin, no-I/O checks' },
  { id: 'fastify-healthgate-fast', framework: 'Fastify', library: 'fast path' },
  { id: 'fastify-healthgate', framework: 'Fastify', library: 'plugin' },
]
  .map((variant) => ({ ...variant, baseline: `${variant.id.split('-')[0]}-bare-json` }))
  .filter((variant) => (config.only ? config.only.includes(variant.id) : true))
const FRAMEWORKS = [...new Set(VARIANTS.map((variant) => variant.framework))]

/** Back to back per framework, in reverse order every other round (as bench/run.mjs). */
function roundOrder(round) {
  return FRAMEWORKS.flatMap((_, index) => {
    const framework = FRAMEWORKS[(index + round) % FRAMEWORKS.length]
    const group = VARIANTS.filter((variant) => variant.framework === framework)
    return round % 2 === 0 ? group : group.reverse()
  })
}

const ratio = (value) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a')

async function throughput() {
  const rounds = await measureRounds(roundOrder, 'fast path, ')
  return VARIANTS.map((variant) => {
    const runs = rounds.map((round) => round[variant.id])
    const served = runs.reduce((sum, run) => sum + (run.served ?? 0), 0)
    const cpuMicros = runs.reduce((sum, run) => sum + (run.cpuMicros ?? 0), 0)
    const codes = {}
    for (const run of runs) {
      for (const [code, count] of Object.entries(run.statusCodes)) codes[code] = (codes[code] ?? 0) + count
    }
    return {
      variant,
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      // Per round against the baseline of the same round, then the median (as bench/run.mjs).
      ratio: median(
        rounds
          .filter((round) => round[variant.baseline])
          .map((round) => round[variant.id].requestsPerSecond / round[variant.baseline].requestsPerSecond),
      ),
      cpuPerRequest: served > 0 ? cpuMicros / served : Number.NaN,
      pgPerRequest: served > 0 ? runs.reduce((sum, run) => sum + run.pgQueries, 0) / served : Number.NaN,
      statusCodes: codes,
    }
  })
}

async function instructions() {
  if (!(await haveCallgrind())) {
    throw new Error('BENCH_INSTRUCTIONS needs valgrind: apt-get update && apt-get install -y valgrind')
  }
  const directory = await mkdtemp(join(os.tmpdir(), 'healthgate-fastpath-'))
  const results = []
  try {
    for (const variant of VARIANTS) {
      log(`fast path, instructions: ${variant.id}`)
      const result = await measureInstructions(variant, directory)
      log(`  ${integer(result.perRequest)} instructions/request, ${codesText(result.statusCodes)}`)
      results.push({ variant, ...result })
    }
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
  const baselineOf = (variant) => results.find((result) => result.variant.id === variant.baseline)
  return results.map((result) => ({
    ...result,
    ratio: baselineOf(result.variant)
      ? baselineOf(result.variant).perRequest / result.perRequest
      : Number.NaN,
  }))
}

function renderThroughput(env, rows) {
  return [
    '# healthgate benchmark results: the fast path',
    '',
    ...environmentLines(env),
    `autocannon on loopback, ${config.connections} connections, keep-alive, each server in its own process; ` +
      `${config.rounds} interleaved rounds of ${config.duration} s (after ${config.warmup} s warm-up); medians. ` +
      '"vs bare route" is the median of the per-round ratios to the bare route of the same framework sending ' +
      "the health body (healthgate's bytes and headers). Server CPU is user + system time of the server " +
      'process over the requests it served.',
    '',
    '| Framework | Variant | req/s | vs bare route, health body | server CPU µs / request | PostgreSQL queries / request | status codes |',
    '|---|---|--:|--:|--:|--:|---|',
    ...rows.map(
      (row) =>
        `| ${row.variant.framework} | ${row.variant.library} | ${integer(row.requestsPerSecond)} | ${ratio(row.ratio)} | ` +
        `${ms(row.cpuPerRequest)} | ${Number.isFinite(row.pgPerRequest) ? row.pgPerRequest.toFixed(4) : 'n/a'} | ` +
        `${codesText(row.statusCodes)} |`,
    ),
    '',
    `Reproduce: \`${REPRODUCE}\` after \`pnpm run build\` (settings: see bench/run.mjs).`,
    '',
  ].join('\n')
}

function renderInstructions(env, rows) {
  return [
    '# healthgate benchmark results: the fast path, instructions per request',
    '',
    ...environmentLines(env),
    `Counted by callgrind in the server process, as bench/run.mjs counts them (windows of ` +
      `${integer(config.instructions)} cached requests, the mean of two). "bare ÷ this" divides the bare ` +
      "route's count (the same health body, same framework) by this variant's.",
    '',
    '| Framework | Variant | instructions / request | windows | bare ÷ this | status codes |',
    '|---|---|--:|--:|--:|---|',
    ...rows.map(
      (row) =>
        `| ${row.variant.framework} | ${row.variant.library} | ${integer(row.perRequest)} | ` +
        `${row.windows.map(integer).join(' / ')} | ${ratio(row.ratio)} | ${codesText(row.statusCodes)} |`,
    ),
    '',
    `Reproduce: \`${REPRODUCE}\` after \`pnpm run build\` (settings: see bench/run.mjs).`,
    '',
  ].join('\n')
}

async function main() {
  const env = await environment()
  const counting = config.instructions !== undefined
  const markdown = counting
    ? renderInstructions(env, await instructions())
    : renderThroughput(env, await throughput())
  const file = counting ? 'fastpath-instructions.md' : 'fastpath.md'
  await mkdir(RESULTS, { recursive: true })
  await writeFile(join(RESULTS, file), markdown)
  process.stdout.write(`${markdown}\nWritten to bench/results/${file}.\n`)
}

main().catch((error) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exitCode = 1
})
