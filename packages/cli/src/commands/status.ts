// `healthgate status <url>`: the checks of one instance as a table, for a person at a terminal or a script.
import { raceDeadline } from '@healthgate/core/primitives'
import { type Io, parseCommand } from '../args.js'
import { CommandError, EXIT, InterruptedError, UsageError } from '../errors.js'
import { HELP } from '../help.js'
import { useColor } from '../progress.js'
import { formatDuration, parseDuration, readTargetUrl, redact } from '../values.js'
import { VERSION } from '../version.js'
import { fleetStatus } from './fleet.js'

interface CheckEntry {
  status?: string
  observedValue?: unknown
  observedUnit?: string
  time?: string
  output?: string
  durationMs?: number
}

interface HealthBody {
  status?: string
  output?: string
  notes?: string[]
  checks?: Record<string, CheckEntry[]>
}

const COLORS: Record<string, string> = { pass: '32', warn: '33', fail: '31' }

export async function statusCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand('status', {
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      timeout: { type: 'string', default: '5s' },
      json: { type: 'boolean', default: false },
      fleet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    io.stdout.write(HELP.status)
    return EXIT.ok
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, 'status')
  const url = readTargetUrl(values.url, positionals[0], 'status')
  const timeoutMs = parseDuration(values.timeout, '--timeout', 'status')
  if (values.fleet) return fleetStatus(url, timeoutMs, values.json, io)
  const token = io.env.HEALTHGATE_ADMIN_TOKEN?.trim()
  const headers: Record<string, string> = {
    accept: 'application/health+json, application/json',
    'user-agent': `healthgate-cli/${VERSION}`,
  }
  // With the token the instance shows observed values, outputs and times.
  if (token) headers.authorization = `Bearer ${token}`

  const shown = redact(url.href)
  const outcome = await raceDeadline(
    async (signal) => {
      const response = await fetch(url, { headers, signal, redirect: 'manual' })
      return { status: response.status, text: await response.text() }
    },
    timeoutMs,
    { signal: io.signal },
  ).settled
  if (outcome.kind === 'aborted') throw new InterruptedError()
  if (outcome.kind === 'timeout')
    throw new CommandError(`no answer from ${shown} within ${formatDuration(timeoutMs)}`)
  if (outcome.kind === 'error') throw new CommandError(`cannot reach ${shown}`)
  const { status, text } = outcome.value
  let body: HealthBody
  try {
    body = JSON.parse(text) as HealthBody
  } catch {
    throw new CommandError(`${shown} answered ${status} without a health JSON body`)
  }
  if (typeof body !== 'object' || body === null)
    throw new CommandError(`${shown} answered ${status} without a health JSON body`)
  const healthy = status >= 200 && status < 300
  if (values.json) io.out(JSON.stringify({ url: shown, httpStatus: status, ...body }))
  else for (const line of renderStatus(body, status, useColor(io, 'stdout'))) io.out(line)
  return healthy ? EXIT.ok : EXIT.failure
}

/** The report as lines: overall status, then one row per check (status, observed value, duration, since). */
export function renderStatus(body: HealthBody, httpStatus: number, color: boolean): string[] {
  const paint = (status: string, text: string) => {
    const code = COLORS[status]
    return color && code ? `\x1b[${code}m${text}\x1b[0m` : text
  }
  const overall = String(body.status ?? 'unknown')
  const lines = [`${paint(overall, overall)} (HTTP ${httpStatus})${body.output ? `: ${body.output}` : ''}`]
  for (const note of Array.isArray(body.notes) ? body.notes : []) lines.push(`  ${note}`)
  const rows: string[][] = []
  for (const [name, entries] of Object.entries(body.checks ?? {})) {
    for (const entry of Array.isArray(entries) ? entries : []) {
      rows.push([
        name,
        String(entry.status ?? '?'),
        observed(entry),
        typeof entry.durationMs === 'number' ? formatDuration(entry.durationMs) : '',
        entry.time ?? '',
        entry.output ?? '',
      ])
    }
  }
  if (rows.length === 0) return lines
  // Columns no entry fills (anonymous bodies carry statuses only; older servers no durations) are left out.
  const all = ['CHECK', 'STATUS', 'OBSERVED', 'DURATION', 'SINCE', 'OUTPUT']
  const kept = all.map((_, column) => column < 2 || rows.some((row) => (row[column] ?? '') !== ''))
  const header = all.filter((_, column) => kept[column])
  for (let i = 0; i < rows.length; i++) rows[i] = (rows[i] ?? []).filter((_, column) => kept[column])
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const format = (row: string[], colored: boolean) =>
    row
      .map((cell, column) => {
        const padded = column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)
        return colored && column === 1 ? paint(cell, padded) : padded
      })
      .join('  ')
      .trimEnd()
  lines.push('', format(header, false), ...rows.map((row) => format(row, true)))
  return lines
}

function observed(entry: CheckEntry): string {
  if (entry.observedValue === undefined) return ''
  const value =
    typeof entry.observedValue === 'number'
      ? String(Number(entry.observedValue.toFixed(2)))
      : JSON.stringify(entry.observedValue)
  return entry.observedUnit ? `${value} ${entry.observedUnit}` : value
}
