import { type FetchLike, probeHealth } from '@healthgate/failover'
import { type Io, parseCommand } from '../args.js'
import { EXIT, InterruptedError, UsageError } from '../errors.js'
import { HELP } from '../help.js'
import {
  formatDuration,
  parseDuration,
  parseExpectFlag,
  parseMethod,
  readTargetUrl,
  redact,
} from '../values.js'

export async function probeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand('probe', {
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      method: { type: 'string', default: 'GET' },
      timeout: { type: 'string', default: '2s' },
      expect: { type: 'string', default: '200-299' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    io.stdout.write(HELP.probe)
    return EXIT.ok
  }
  if (positionals.length > 1) {
    throw new UsageError(`expected one <url>, got ${positionals.length} arguments`, 'probe')
  }
  const url = readTargetUrl(values.url, positionals[0], 'probe', 'http://127.0.0.1:3000/health/live')
  const method = parseMethod(values.method, '--method', 'probe')
  const timeoutMs = parseDuration(values.timeout, '--timeout', 'probe')
  const accepts = parseExpectFlag(values.expect, '--expect', 'probe')

  const shown = redact(url.href)
  let result: Awaited<ReturnType<typeof probeHealth>>
  try {
    result = await probeHealth(url.href, {
      method,
      timeoutMs,
      accepts,
      fetch: fetch as FetchLike,
      signal: io.signal,
    })
  } catch {
    throw new InterruptedError()
  }
  const took = formatDuration(result.durationMs)
  if (result.ok) {
    io.out(`healthy: ${result.method} ${shown} answered ${result.status ?? 'a redirect'} in ${took}`)
    return EXIT.ok
  }
  io.err(`unhealthy: ${result.method} ${shown}: ${result.error ?? 'failed'}`)
  return EXIT.failure
}
