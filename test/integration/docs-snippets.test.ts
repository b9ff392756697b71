/**
 * Docs that run: every code block marked `<!-- snippet: typecheck -->` or `<!-- snippet: run -->` in README.md,
 * docs/*.md and packages/*\/README.md (convention: docs/contributing.md) is taken as a user would paste it,
 * against the packed tarballs installed with the peer dependencies into an npm project outside the workspace.
 * Every marked block type-checks with `--module nodenext --strict`; a `run` block then starts (ESM or CommonJS
 * as written) with PORT, PG_URL and REDIS_URL set, must answer GET and HEAD /health with the promised status
 * against the real PostgreSQL and Redis, and must stop on SIGTERM.
 *
 * The npm project lives in the system temp folder (outside the workspace, so nothing resolves through the
 * workspace's node_modules) and is kept between runs: the peers come from npm's cache, the tarballs are new.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { request } from '../support/http.js'
import { freePorts } from '../support/ports.js'
import { PG_URL, REDIS_URL } from '../support/services.js'
import { sleep } from '../support/wait.js'

const ROOT = join(__dirname, '..', '..')
// One project per checkout: two checkouts testing at once on one machine must not reinstall under each other.
const PROJECT = join(
  tmpdir(),
  `healthgate-docs-snippets-${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`,
)
const TARBALLS = join(PROJECT, 'tarballs')
const SNIPPETS = join(PROJECT, 'snippets')

/** The peers the READMEs install beside the packages, and what the type-check needs. */
const PEERS: Record<string, string> = {
  express: '^5.1.0',
  fastify: '^5.4.0',
  pg: '^8.16.0',
  ioredis: '^5.6.0',
  typescript: '5.9.3',
  '@types/node': '^20.19.0',
  '@types/express': '^5.0.3',
  '@types/pg': '^8.15.0',
  // The drivers and clients of the other packages' READMEs (npm would install peers anyway; pinned here so
  // the snippets meet the versions the tests use), and what the OpenTelemetry snippet exports with.
  '@grpc/grpc-js': '^1.14.7',
  '@opentelemetry/api': '~1.9.0',
  '@opentelemetry/sdk-metrics': '^2.12.1',
  amqplib: '^2.3.1',
  mqtt: '^5.16.0',
  mysql2: '^3.25.0',
  nats: '^2.29.3',
  'prom-client': '^15.1.3',
  // The Nest module's README: a Nest 11 app on either platform.
  '@nestjs/common': '^11.2.12',
  '@nestjs/core': '^11.2.12',
  '@nestjs/platform-express': '^11.2.12',
  '@nestjs/platform-fastify': '^11.2.8',
  'reflect-metadata': '^0.2.2',
  rxjs: '^7.8.2',
  // The Hono middleware's README and the fetch handler's Node example.
  hono: '^4.13.23',
  '@hono/node-server': '^2.1.11',
}

interface Snippet {
  /** `file:line` of the fence, for messages. */
  where: string
  mode: 'typecheck' | 'run'
  status: number
  /** The file the block is written to: .ts/.mts (ESM TypeScript), .cts (CommonJS TypeScript), .mjs, .cjs. */
  file: string
  format: 'esm' | 'cjs'
  code: string
}

const MARKER = /^<!-- snippet: (typecheck|run)(?: status=(\d{3}))? -->\n```(\w+)\n([\s\S]*?)^```$/gm

/** The documents a reader pastes from, found anew each run so new packages and pages are covered. */
function documents(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`)
  const packages = readdirSync(join(ROOT, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => existsSync(join(ROOT, path)))
  return ['README.md', ...docs, ...packages]
}

function extract(): Snippet[] {
  const snippets: Snippet[] = []
  for (const doc of documents()) {
    const text = readFileSync(join(ROOT, doc), 'utf8')
    for (const match of text.matchAll(MARKER)) {
      const [, mode = 'typecheck', status = '200', lang = '', code = ''] = match
      const line = text.slice(0, match.index).split('\n').length + 1
      const where = `${doc}:${line}`
      const cjs = lang === 'cjs' || /\brequire\(/.test(code)
      const ext = { ts: cjs ? 'cts' : 'mts', js: cjs ? 'cjs' : 'mjs', cjs: 'cjs', mjs: 'mjs' }[lang]
      if (!ext) throw new Error(`${where}: a marked block must be ts, js, mjs or cjs, not \`${lang}\``)
      const name = `${doc.replace(/[^a-z0-9]+/gi, '-')}-${line}.${ext}`
      snippets.push({
        where,
        mode: mode as Snippet['mode'],
        status: Number(status),
        file: name,
        format: cjs ? 'cjs' : 'esm',
        code,
      })
    }
  }
  return snippets
}

const snippets = extract()
const ran: Snippet[] = []

function npm(args: string[]): void {
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: PROJECT,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 240_000,
  })
}

beforeAll(() => {
  mkdirSync(PROJECT, { recursive: true })
  rmSync(TARBALLS, { recursive: true, force: true })
  rmSync(SNIPPETS, { recursive: true, force: true })
  mkdirSync(TARBALLS)
  mkdirSync(SNIPPETS)
  const packed: { name: string; tarball: string }[] = JSON.parse(
    execFileSync('node', [join(ROOT, 'scripts', 'pack-packages.mjs'), TARBALLS], { encoding: 'utf8' }),
  )
  const dependencies: Record<string, string> = { ...PEERS }
  for (const { name, tarball } of packed) dependencies[name] = `file:./${relative(PROJECT, tarball)}`
  writeFileSync(
    join(PROJECT, 'package.json'),
    `${JSON.stringify({ name: 'docs-snippets', private: true, type: 'module', dependencies }, null, 2)}\n`,
  )
  // The tarballs keep their names from run to run: drop them from the lockfile's view so npm takes the new
  // contents; the peers stay installed and come from npm's cache.
  rmSync(join(PROJECT, 'node_modules', '@healthgate'), { recursive: true, force: true })
  rmSync(join(PROJECT, 'package-lock.json'), { force: true })
  npm(['install', '--prefer-offline'])

  for (const snippet of snippets) writeFileSync(join(SNIPPETS, snippet.file), snippet.code)
  writeFileSync(
    join(PROJECT, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        allowJs: true,
        checkJs: true,
        skipLibCheck: true,
        types: ['node'],
      },
      include: ['snippets'],
    }),
  )
}, 300_000)

afterAll(() => {
  const esm = ran.filter((s) => s.format === 'esm').length
  console.log(
    `docs snippets: ${snippets.length} blocks type-checked, ${ran.length} run (${esm} ESM, ${ran.length - esm} CommonJS)`,
  )
})

it('finds marked blocks in the READMEs, runnable ones in ESM and CommonJS', () => {
  expect(snippets.filter((s) => s.where.startsWith('README.md:')).length).toBeGreaterThan(0)
  const formats = new Set(snippets.filter((s) => s.mode === 'run').map((s) => s.format))
  expect([...formats].sort()).toEqual(['cjs', 'esm'])
})

it('every marked block type-checks with --module nodenext --strict', () => {
  const tsc = join(PROJECT, 'node_modules', 'typescript', 'bin', 'tsc')
  let output = ''
  try {
    execFileSync('node', [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], {
      cwd: PROJECT,
      encoding: 'utf8',
    })
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error)
  }
  // Each error names its snippet file; say which block of which document it is.
  const named = snippets.reduce(
    (text, snippet) => text.replaceAll(`snippets/${snippet.file}`, snippet.where),
    output.trim(),
  )
  expect(named).toBe('')
})

/** The block as Node runs it: TypeScript transpiled by the project's own compiler, JavaScript as is. */
function runnable(snippet: Snippet): string {
  const path = join(SNIPPETS, snippet.file)
  if (!/\.[mc]?ts$/.test(snippet.file)) return path
  const ts = require(join(PROJECT, 'node_modules', 'typescript')) as typeof import('typescript')
  const out = ts.transpileModule(snippet.code, {
    compilerOptions: {
      module: snippet.format === 'cjs' ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  })
  const js = path.replace(/\.[mc]?ts$/, snippet.format === 'cjs' ? '.run.cjs' : '.run.mjs')
  writeFileSync(js, out.outputText)
  return js
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

const runs = snippets.filter((snippet) => snippet.mode === 'run')
it.each(runs.map((snippet) => [snippet.where, snippet]))(
  '%s starts, answers GET and HEAD /health, stops on SIGTERM',
  async (_where, snippet) => {
    const [port] = await freePorts(1)
    const child = spawn('node', [runnable(snippet as Snippet)], {
      cwd: PROJECT,
      env: { ...process.env, PORT: String(port), PG_URL, REDIS_URL, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk))
    try {
      let get: Awaited<ReturnType<typeof request>> | undefined
      const deadline = Date.now() + 20_000
      while (!get && Date.now() < deadline && child.exitCode === null) {
        get = await request(port as number, '/health', { timeoutMs: 5000 }).catch(() => undefined)
        if (!get) await sleep(100)
      }
      if (!get) throw new Error(`${snippet.where} did not answer GET /health; its output:\n${output}`)
      // The first answer may precede the first check results; the promised status is the settled one.
      const settled = Date.now() + 5000
      while (get.status !== (snippet as Snippet).status && Date.now() < settled) {
        await sleep(200)
        get = await request(port as number, '/health')
      }
      expect({ where: snippet.where, get: get.status }).toEqual({ where: snippet.where, get: snippet.status })
      const head = await request(port as number, '/health', { method: 'HEAD' })
      expect({ where: snippet.where, head: head.status, body: head.body }).toEqual({
        where: snippet.where,
        head: snippet.status,
        body: '',
      })
      ran.push(snippet as Snippet)
    } finally {
      child.kill('SIGTERM')
      // Probe on as a load balancer would: a snippet with installShutdown drains until its probers have seen
      // the 503s, then closes and exits.
      const probing = (async () => {
        while (child.exitCode === null && child.signalCode === null) {
          await request(port as number, '/health', { timeoutMs: 1000 }).catch(() => undefined)
          await sleep(100)
        }
      })()
      const stopped = await exited(child, 30_000)
      if (!stopped) child.kill('SIGKILL')
      await exited(child, 5000)
      await probing
      expect({ where: snippet.where, stoppedOnSigterm: stopped }).toEqual({
        where: snippet.where,
        stoppedOnSigterm: true,
      })
    }
  },
  60_000,
)
