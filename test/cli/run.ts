import { main } from '@healthgate/cli'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  signal?: AbortSignal
  /** Pretend stderr is a terminal (progress output). */
  tty?: boolean
}

/** Calls the CLI's main() in-process with captured streams. */
export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    env: options.env ?? {},
    signal: options.signal,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: options.tty === true },
  })
  return { code, stdout, stderr }
}

/** Like run(), but exposes the output while the command is still running (watch). */
export function start(argv: string[], options: RunOptions = {}) {
  const output = { stdout: '', stderr: '' }
  const done = main(argv, {
    env: options.env ?? {},
    signal: options.signal,
    stdout: { write: (chunk: string) => (output.stdout += chunk) },
    stderr: { write: (chunk: string) => (output.stderr += chunk) },
  })
  return { output, done }
}
