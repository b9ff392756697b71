// The conformance servers that run in Bun and Deno: one child process per runtime (the real `bun` and
// `deno` binaries of the dev dependencies) runs runtime-child.ts, which serves the cases' healths with
// Bun.serve / Deno.serve, bare (createFetchHandler) or through Hono. See runtime-child.ts for the protocol.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { MaintenanceState } from '@healthgate/core'

export const RUNTIME_KINDS = ['bun', 'hono-bun', 'deno', 'hono-deno'] as const
export type RuntimeKind = (typeof RUNTIME_KINDS)[number]

const root = join(__dirname, '..', '..')
const CHILD = join(__dirname, 'runtime-child.ts')

/**
 * The binaries the `bun` and `deno` npm packages install: bun's `bin/bun.exe` (its postinstall puts the
 * native binary there), and the `deno` executable deno's postinstall puts beside its `bin.cjs` launcher.
 */
export function runtimeBinary(runtime: 'bun' | 'deno'): string {
  const require = createRequire(join(root, 'package.json'))
  const directory = dirname(require.resolve(`${runtime}/package.json`))
  return join(directory, runtime === 'bun' ? 'bin/bun.exe' : 'deno')
}

/** The command running a script under a runtime, with the permissions the servers need under Deno. */
export function runtimeCommand(runtime: 'bun' | 'deno', script: string, denoAllow: string[] = []): string[] {
  if (runtime === 'bun') return [runtimeBinary('bun'), script]
  return [
    runtimeBinary('deno'),
    'run',
    '--quiet',
    '--sloppy-imports',
    '--allow-env',
    '--allow-read',
    '--allow-net=127.0.0.1',
    ...denoAllow,
    script,
  ]
}

interface Answer {
  id: number
  error?: string
  port?: number
  maintenance?: MaintenanceState
}

/** One runtime child: requests go in on its stdin, answers come back on its stdout. */
class RuntimeChild {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #pending = new Map<number, { resolve(answer: Answer): void; reject(error: Error): void }>()
  #nextId = 0
  #stderr = ''
  #exited: Promise<void>

  constructor(runtime: 'bun' | 'deno') {
    const [command, ...args] = runtimeCommand(runtime, CHILD)
    this.#child = spawn(command ?? runtime, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
    this.#child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000)
    })
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as Answer
      const pending = this.#pending.get(answer.id)
      this.#pending.delete(answer.id)
      if (answer.error) pending?.reject(new Error(`${runtime}: ${answer.error}`))
      else pending?.resolve(answer)
    })
    this.#exited = new Promise((resolve) => {
      const failAll = (reason: string) => {
        for (const { reject } of this.#pending.values()) reject(new Error(`${runtime} ${reason}`))
        this.#pending.clear()
        resolve()
      }
      this.#child.once('error', (error) => failAll(`did not start: ${error.message}`))
      this.#child.once('exit', (code) => failAll(`exited (${code}): ${this.#stderr}`))
    })
  }

  send(message: Record<string, unknown>): Promise<Answer> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      if (this.#child.exitCode !== null || !this.#child.stdin.writable) {
        reject(new Error(`the child is gone: ${this.#stderr}`))
        return
      }
      this.#pending.set(id, { resolve, reject })
      this.#child.stdin.write(`${JSON.stringify({ id, ...message })}\n`)
    })
  }

  close(): Promise<void> {
    this.#child.stdin.end()
    return this.#exited
  }
}

const children = new Map<'bun' | 'deno', RuntimeChild>()

function childFor(runtime: 'bun' | 'deno'): RuntimeChild {
  let child = children.get(runtime)
  if (!child) {
    child = new RuntimeChild(runtime)
    children.set(runtime, child)
  }
  return child
}

/** Ends every runtime child started so far. */
export async function closeRuntimes(): Promise<void> {
  const all = [...children.values()]
  children.clear()
  await Promise.all(all.map((child) => child.close()))
}

/** A server in a runtime child: its health lives there, so the setup and the state are asked for. */
export interface RuntimeServer {
  kind: RuntimeKind
  port: number
  setup(): Promise<void>
  maintenance(): Promise<MaintenanceState>
  close(): Promise<void>
}

/** Starts the server of `kind` for the case named `caseName` in its runtime's child. */
export async function startRuntimeServer(kind: RuntimeKind, caseName: string): Promise<RuntimeServer> {
  const child = childFor(kind.endsWith('bun') ? 'bun' : 'deno')
  const { port } = await child.send({
    op: 'start',
    server: kind.startsWith('hono') ? 'hono' : 'fetch',
    case: caseName,
  })
  if (port === undefined) throw new Error(`${kind}: no port`)
  return {
    kind,
    port,
    setup: async () => void (await child.send({ op: 'setup', port })),
    maintenance: async () => {
      const { maintenance } = await child.send({ op: 'maintenance', port })
      if (!maintenance) throw new Error(`${kind}: no maintenance state`)
      return maintenance
    },
    close: async () => void (await child.send({ op: 'close', port })),
  }
}
