import { type ParseArgsConfig, parseArgs } from 'node:util'
import { unknownOptionMessage } from '@healthgate/core/primitives'
import { UsageError } from './errors.js'

/** The environment, streams and cancellation a command runs with; injected so tests need no subprocess. */
export interface CliContext {
  /** Default: `process.env`. Only `HEALTHGATE_ADMIN_TOKEN` is read. */
  env?: Record<string, string | undefined>
  /** Default: `process.stdout`. */
  stdout?: Output
  /** Default: `process.stderr`. Progress is drawn only when `isTTY` is true. */
  stderr?: Output
  /** Aborting it stops a running command: `watch` exits 0, waits exit 130. Default: never aborts. */
  signal?: AbortSignal
}

/** Where the CLI writes: `process.stdout`/`process.stderr`, or a test stand-in. */
export interface Output {
  /** Writes `chunk` as is (no newline added). */
  write(chunk: string): unknown
  isTTY?: boolean
}

export interface Io {
  env: Record<string, string | undefined>
  stdout: Output
  stderr: Output
  signal: AbortSignal
  out(line: string): void
  err(line: string): void
}

const TOKEN_FLAG = /^--token(?:=|$)/

/**
 * parseArgs with strict checking whose errors become usage errors in our words. `--token` is refused
 * before anything else: argv is readable by every user on the machine (`ps`) and ends up in shell history.
 */
export function parseCommand<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  if (config.args?.some((arg) => TOKEN_FLAG.test(arg))) {
    throw new UsageError(
      '--token is not accepted: command-line arguments are visible to every user in `ps` and end up in ' +
        'shell history. Set the HEALTHGATE_ADMIN_TOKEN environment variable instead.',
      command,
    )
  }
  try {
    return parseArgs(config)
  } catch (error) {
    const flags = Object.keys(config.options ?? {}).map((name) => `--${name}`)
    throw new UsageError(translate(error, flags), command)
  }
}

function translate(error: unknown, flags: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined
  // Node quotes the option as '--name', '--name <value>' or '-n, --name': keep the long name.
  const subject = /'(?:-[^-], )?([^' ]+)/.exec(message)?.[1]
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      // The format of every healthgate factory's unknown option, with a did-you-mean.
      return unknownOptionMessage('', subject ?? message, flags)
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${subject}'`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.includes('does not take an argument')
        ? `option '${subject}' does not take a value`
        : `option '${subject}' needs a value`
    default:
      return message
  }
}
