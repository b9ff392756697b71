// `healthgate status --fleet <url>`: every instance of the fleet the instance at <url> belongs to.
import type { Io } from '../args.js'
import { EXIT, UsageError } from '../errors.js'
import { useColor } from '../progress.js'
import { AdminClient, type FleetBody } from './admin-client.js'

const COLORS: Record<string, string> = { pass: '32', warn: '33', fail: '31' }

/** Prints the fleet view; exit 0 when the fleet is known, 1 when the server cannot see it. */
export async function fleetStatus(url: URL, timeoutMs: number, json: boolean, io: Io): Promise<number> {
  const token = io.env.HEALTHGATE_ADMIN_TOKEN?.trim()
  if (!token) {
    throw new UsageError(
      'HEALTHGATE_ADMIN_TOKEN is not set: the fleet view needs the admin token configured on the server',
      'status',
    )
  }
  const admin = new AdminClient(url, token, Date.now() + timeoutMs, io.signal)
  const view = await admin.fleet()
  if (json) io.out(JSON.stringify(view))
  else for (const line of renderFleet(view, useColor(io, 'stdout'))) io.out(line)
  return view.fleet === 'known' ? EXIT.ok : EXIT.failure
}

/** The view as lines: a summary, then one row per instance. */
export function renderFleet(view: FleetBody, color: boolean): string[] {
  const name = view.service ?? '?'
  if (view.fleet !== 'known') return [`fleet ${name}: unknown${view.note ? ` (${view.note})` : ''}`]
  const settings = [
    view.minAvailable === undefined ? undefined : `minAvailable ${view.minAvailable}`,
    view.panicThreshold === undefined
      ? undefined
      : `panic threshold ${Math.round(view.panicThreshold * 100)} %`,
    view.panic ? 'PANIC: readiness held at 200' : undefined,
  ].filter(Boolean)
  const lines = [
    `fleet ${name}: ${view.ready ?? 0} of ${view.total ?? 0} instances ready${settings.length > 0 ? ` (${settings.join(', ')})` : ''}`,
  ]
  const instances = Array.isArray(view.instances) ? view.instances : []
  if (instances.length === 0) return lines
  const header = ['INSTANCE', 'STATUS', 'READY', 'MAINTENANCE', 'DRAINING', 'VERSION', 'ADDRESS', 'LAST SEEN']
  const yes = (value: boolean | undefined) => (value ? 'yes' : 'no')
  const rows = instances.map((instance) => [
    `${instance.id ?? '?'}${instance.id === view.instanceId ? ' *' : ''}`,
    `${instance.status ?? '?'}${instance.panic ? ' (panic)' : ''}`,
    yes(instance.ready),
    yes(instance.maintenance),
    yes(instance.draining),
    instance.version ?? '',
    instance.address ?? '',
    instance.lastSeen ?? '',
  ])
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const format = (row: string[], colored: boolean) =>
    row
      .map((cell, column) => {
        const padded = cell.padEnd(widths[column] ?? 0)
        const code = COLORS[cell.split(' ')[0] ?? '']
        return colored && column === 1 && code && color ? `\x1b[${code}m${padded}\x1b[0m` : padded
      })
      .join('  ')
      .trimEnd()
  lines.push('', format(header, false), ...rows.map((row) => format(row, true)))
  return lines
}
