import { type CliContext, type Io, parseCommand } from './args.js'
import { maintenanceCommand } from './commands/maintenance.js'
import { probeCommand } from './commands/probe.js'
import { statusCommand } from './commands/status.js'
import { watchCommand } from './commands/watch.js'
import { EXIT, isCommandError, isInterruptedError, isUsageError, UsageError } from './errors.js'
import { COMMANDS, type Command, HELP, TOP_HELP } from './help.js'
import { VERSION } from './version.js'

const RUN: Record<Command, (args: string[], io: Io) => Promise<number>> = {
  probe: probeCommand,
  status: statusCommand,
  maintenance: maintenanceCommand,
  watch: watchCommand,
}

const isCommand = (name: string): name is Command => (COMMANDS as readonly string[]).includes(name)

/**
 * Runs the CLI with `argv` (without `node` and the script path) and resolves with the exit code. Never
 * throws; messages go to `context.stdout` / `context.stderr`.
 */
export async function main(argv: readonly string[], context: CliContext = {}): Promise<number> {
  const stdout = context.stdout ?? process.stdout
  const stderr = context.stderr ?? process.stderr
  const io: Io = {
    env: context.env ?? process.env,
    stdout,
    stderr,
    signal: context.signal ?? new AbortController().signal,
    out: (line) => stdout.write(`${line}\n`),
    err: (line) => stderr.write(`${line}\n`),
  }
  try {
    return await dispatch([...argv], io)
  } catch (error) {
    if (isUsageError(error)) {
      const help = error.command ? `healthgate ${error.command} --help` : 'healthgate --help'
      io.err(`healthgate: ${error.message}\nRun '${help}' for usage.`)
      return EXIT.usage
    }
    if (isCommandError(error)) {
      io.err(`healthgate: ${error.message}`)
      return EXIT.failure
    }
    if (isInterruptedError(error)) {
      io.err('healthgate: interrupted')
      return EXIT.interrupted
    }
    io.err(
      `healthgate: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
    return EXIT.failure
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) {
    io.stderr.write(TOP_HELP)
    return EXIT.usage
  }
  if (first === 'help') {
    const topic = rest[0]
    if (topic === undefined) io.stdout.write(TOP_HELP)
    else if (isCommand(topic)) io.stdout.write(HELP[topic])
    else throw new UsageError(`unknown command '${topic}'`)
    return EXIT.ok
  }
  if (isCommand(first)) return RUN[first](rest, io)
  if (!first.startsWith('-'))
    throw new UsageError(`unknown command '${first}' (expected ${COMMANDS.join(', ')})`)
  const { values, positionals } = parseCommand('', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  })
  if (values.version) {
    io.out(VERSION)
    return EXIT.ok
  }
  if (values.help) {
    io.stdout.write(TOP_HELP)
    return EXIT.ok
  }
  throw new UsageError(
    positionals.length > 0 ? `options must follow the command: '${positionals[0]}'` : 'missing command',
  )
}
