import {
  type ActiveServer,
  createFailover,
  type FailoverEndpoint,
  type FailoverEvent,
  type FetchLike,
  serveActive,
} from '@healthgate/failover'
import { type Io, parseCommand } from '../args.js'
import { CommandError, EXIT, UsageError } from '../errors.js'
import { HELP } from '../help.js'
import {
  formatDuration,
  parseAnyUrl,
  parseDuration,
  parseExpectFlag,
  parseHttpUrl,
  parseMethod,
  parsePositiveInteger,
  redact,
} from '../values.js'

// The connection URL starts at the comma followed by a scheme, so health URLs may contain commas in their query.
const CONNECT_URL_START = /,(?=[a-z][a-z0-9+.-]*:\/\/)/i

/** `name=<healthUrl>,<connectUrl>` -> an endpoint, or a usage error that shows the expected shape. */
export function parseEndpoint(spec: string): FailoverEndpoint {
  const shape =
    'expected name=<healthUrl>,<connectUrl>, e.g. primary=https://a.example.com/_ping,wss://a.example.com/ws'
  const equals = spec.indexOf('=')
  const name = spec.slice(0, equals).trim()
  const urls = spec.slice(equals + 1)
  const split = CONNECT_URL_START.exec(urls)
  if (equals < 1 || name === '' || !split) {
    throw new UsageError(`invalid --endpoint '${redact(spec)}' (${shape})`, 'watch')
  }
  const healthUrl = parseHttpUrl(urls.slice(0, split.index), `--endpoint ${name} health URL`, 'watch')
  const connectUrl = parseAnyUrl(urls.slice(split.index + 1), `--endpoint ${name} connect URL`, 'watch')
  return { name, healthUrl: healthUrl.href, connectUrl: connectUrl.href }
}

/** `PORT` or `HOST:PORT` (IPv6 in brackets: `[::1]:8080`). */
export function parseServe(text: string): { host: string; port: number } {
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(text.trim())
  const port = Number(match?.[2])
  if (!match || !Number.isInteger(port) || port > 65_535) {
    throw new UsageError(`invalid value for --serve: '${text}' (expected PORT or HOST:PORT)`, 'watch')
  }
  return { host: match[1]?.replace(/^\[(.*)\]$/, '$1') ?? '127.0.0.1', port }
}

export function formatEvent(event: FailoverEvent): string {
  switch (event.type) {
    case 'switch':
      return `${event.at} switch${event.failback ? ' (failback)' : ''} ${event.from} -> ${event.to} ${event.connectUrl}: ${event.reason}`
    case 'all-down':
      return `${event.at} all-down: ${event.to} stays active ${event.connectUrl}: ${event.reason}`
    case 'recovered':
      return `${event.at} recovered ${event.from} -> ${event.to} ${event.connectUrl}: ${event.reason}`
  }
}

export async function watchCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand('watch', {
    args,
    allowPositionals: true,
    strict: true,
    options: {
      endpoint: { type: 'string', multiple: true },
      interval: { type: 'string', default: '10s' },
      timeout: { type: 'string' },
      'failure-threshold': { type: 'string', default: '3' },
      'success-threshold': { type: 'string', default: '2' },
      'no-failback': { type: 'boolean', default: false },
      method: { type: 'string', default: 'HEAD' },
      expect: { type: 'string', default: '200-399' },
      serve: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    io.stdout.write(HELP.watch)
    return EXIT.ok
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'watch')
  const specs = values.endpoint ?? []
  if (specs.length < 2) {
    throw new UsageError(`at least two --endpoint options are needed, got ${specs.length}`, 'watch')
  }
  const endpoints = specs.map(parseEndpoint)
  const duplicate = endpoints.find(
    (endpoint, index) => endpoints.findIndex((e) => e.name === endpoint.name) !== index,
  )
  if (duplicate) throw new UsageError(`endpoint name '${duplicate.name}' is used twice`, 'watch')
  const intervalMs = parseDuration(values.interval, '--interval', 'watch')
  const timeoutMs =
    values.timeout === undefined
      ? Math.min(2000, intervalMs / 2)
      : parseDuration(values.timeout, '--timeout', 'watch')
  if (timeoutMs >= intervalMs) {
    throw new UsageError(
      `--timeout (${formatDuration(timeoutMs)}) must be shorter than --interval (${formatDuration(intervalMs)})`,
      'watch',
    )
  }
  const failureThreshold = parsePositiveInteger(values['failure-threshold'], '--failure-threshold', 'watch')
  const successThreshold = parsePositiveInteger(values['success-threshold'], '--success-threshold', 'watch')
  const method = parseMethod(values.method, '--method', 'watch')
  const expect = parseExpectFlag(values.expect, '--expect', 'watch').source
  const serve = values.serve === undefined ? undefined : parseServe(values.serve)

  const monitor = createFailover({
    endpoints,
    intervalMs,
    timeoutMs,
    failureThreshold,
    successThreshold,
    method,
    expect,
    failback: !values['no-failback'],
    fetch: fetch as FetchLike,
    onError: (error) => io.err(`error while printing an event: ${String(error)}`),
  })
  monitor.onChange((event) => io.out(values.json ? JSON.stringify(event) : formatEvent(event)))

  let server: ActiveServer | undefined
  if (serve) {
    try {
      server = await serveActive({ monitor, ...serve })
    } catch (error) {
      const code =
        typeof error === 'object' && error !== null && 'code' in error ? ` (${String(error.code)})` : ''
      throw new CommandError(`cannot serve on ${serve.host}:${serve.port}${code}`)
    }
  }
  // The monitor's timers are unref'd so it never pins a library user's process; the CLI has to stay up.
  const keepAlive = setInterval(() => {}, 1 << 30)
  try {
    io.err(
      `watching ${endpoints.map((endpoint) => endpoint.name).join(', ')} every ${formatDuration(intervalMs)} ` +
        `(timeout ${formatDuration(timeoutMs)}, switch after ${failureThreshold} failures, ` +
        `${values['no-failback'] ? 'no failback' : `fail back after ${successThreshold} successes`})`,
    )
    if (server) io.err(`serving the active endpoint at ${server.url}/active`)
    const stopped = new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve()
      io.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    await Promise.race([monitor.start(), stopped])
    if (!io.signal.aborted) {
      const states = monitor
        .snapshot()
        .endpoints.map(
          (endpoint) =>
            `${endpoint.name} ${endpoint.status}${endpoint.lastError ? ` (${endpoint.lastError})` : ''}`,
        )
      io.err(`active: ${monitor.active.name} ${monitor.active.connectUrl}; ${states.join(', ')}`)
    }
    await stopped
    return EXIT.ok
  } finally {
    clearInterval(keepAlive)
    await monitor.stop()
    await server?.close()
    io.err('stopped')
  }
}
