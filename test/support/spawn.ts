import { type ChildProcess, spawn } from 'node:child_process'
import { resolve as resolvePath } from 'node:path'

export const ROOT = resolvePath(__dirname, '../..')

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Child {
  readonly process: ChildProcess
  readonly pid: number
  /** Everything written so far. */
  readonly stdout: string
  readonly stderr: string
  readonly exited: Promise<Exit>
  /** Resolves with the first match of `pattern` in stdout (checked as output arrives). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
}

const running = new Set<ChildProcess>()

/** Spawns `node <script>` from the repository root; every child is killed by `killChildren()`. */
export function spawnNode(script: string, env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let stdout = ''
  let stderr = ''
  const waiters = new Set<() => void>()
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const waiter of waiters) waiter()
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
      for (const waiter of waiters) waiter()
    })
  })
  const waitFor = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout)
        if (match) finish(() => resolve(match))
        else if (child.exitCode !== null || child.signalCode !== null) {
          finish(() =>
            reject(new Error(`${script} exited before printing ${pattern}:\n${stdout}\n${stderr}`)),
          )
        }
      }
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`${script} did not print ${pattern} in ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
          ),
        timeoutMs,
      )
      const finish = (settle: () => void) => {
        clearTimeout(timer)
        waiters.delete(check)
        settle()
      }
      waiters.add(check)
      check()
    })
  if (child.pid === undefined) throw new Error(`could not spawn ${script}`)
  return {
    process: child,
    pid: child.pid,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    exited,
    waitFor,
  }
}

/** SIGKILLs every child still running and waits for them to exit. */
export async function killChildren(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGKILL')
        }),
    ),
  )
}
