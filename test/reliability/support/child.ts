import { type ChildProcess, fork } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build, stop } from 'esbuild'

// esbuild keeps a service process for its API calls; inside jest it stays referenced, and the worker (or the
// process, in band) could not exit when its tests were done. Stopped once the test file's tests are.
afterAll(() => stop())

const ROOT = resolve(__dirname, '../../..')
// Inside the repository so that the bundle's external imports (express, ...) resolve to its node_modules.
const OUT_DIR = join(ROOT, 'node_modules/.cache/healthgate-reliability')

/** What a fixture reports after a forced GC, measured inside its own process. */
export interface ChildSample {
  heapUsed: number
  /** Entries of `/proc/self/fd`: every open file, socket, pipe of the child. */
  fds: number
  /** `server.getConnections()`: TCP connections the server holds. */
  connections: number
}

export interface Child {
  /** The port the fixture listens on, if it is a server. */
  readonly port: number
  readonly pid: number
  /** Sends `{ type, ...message }` and resolves the fixture's `{ type: '<type>:done', ... }` reply. */
  call<T>(message: Readonly<Record<string, unknown>> & { type: string }): Promise<T>
  /** Asks the fixture to close and waits for its process to exit; kills it if it does not within 5 s. */
  stop(): Promise<number | null>
}

/**
 * Bundles a TypeScript fixture against the workspace sources (not `dist/`, which may be stale) and
 * starts it with `--expose-gc`. The fixture talks over IPC: it sends `{ type: 'ready', port? }`, answers
 * each `{ type: T }` with `{ type: 'T:done' }` or `{ type: 'error', message }`, and exits on `{ type: 'stop' }`.
 *
 * Load generators run in fixtures too: under jest's `--detectOpenHandles` every async resource created in
 * the test process records a stack trace, which slows an HTTP client in it down a hundredfold.
 */
export async function startChild(fixture: string): Promise<Child> {
  mkdirSync(OUT_DIR, { recursive: true })
  const outfile = join(OUT_DIR, `${fixture.replace(/\W+/g, '-')}-${process.pid}-${Date.now()}.cjs`)
  await build({
    entryPoints: [join(__dirname, '../fixtures', fixture)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    // `@healthgate/<name>[/<subpath>]` to the package's src/, as jest's moduleNameMapper does.
    plugins: [
      {
        name: 'healthgate-sources',
        setup(bundle) {
          bundle.onResolve({ filter: /^@healthgate\/[a-z]+(\/[a-z]+)?$/ }, ({ path }) => {
            const [, name = '', subpath = ''] = path.split('/')
            return { path: join(ROOT, 'packages', name, 'src', subpath, 'index.ts') }
          })
        },
      },
    ],
    external: ['express', 'express4', 'fastify', 'fastify-plugin', 'pg', 'ioredis'],
  })
  const child = fork(outfile, [], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  try {
    const port = await new Promise<number>((ready, fail) => {
      child.once('exit', (code) => fail(new Error(`fixture ${fixture} exited (${code}) before it was ready`)))
      child.once('message', (message: { type?: string; port?: number }) => {
        if (message?.type === 'ready') ready(message.port ?? -1)
        else fail(new Error(`fixture ${fixture} sent ${JSON.stringify(message)} instead of ready`))
      })
    })
    return {
      port,
      pid: child.pid ?? -1,
      call: (message) => ask(child, message),
      async stop() {
        if (child.exitCode === null && child.connected) child.send({ type: 'stop' })
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        try {
          return await exited
        } finally {
          clearTimeout(timer)
          rmSync(outfile, { force: true })
        }
      },
    }
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    rmSync(outfile, { force: true })
    throw error
  }
}

function ask<T>(child: ChildProcess, message: { type: string }): Promise<T> {
  const replyType = `${message.type}:done`
  return new Promise<T>((done, fail) => {
    const settle = () => {
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (reply: { type?: string; message?: string } & T) => {
      if (reply?.type === 'error') {
        settle()
        fail(new Error(`fixture failed on ${message.type}: ${reply.message}`))
      } else if (reply?.type === replyType) {
        settle()
        done(reply)
      }
    }
    const onExit = (code: number | null) => {
      settle()
      fail(new Error(`fixture exited (${code}) while asked for ${message.type}`))
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
    child.send(message)
  })
}
