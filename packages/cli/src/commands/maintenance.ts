import { type Io, parseCommand } from '../args.js'
import { EXIT, UsageError } from '../errors.js'
import { HELP } from '../help.js'
import { type Holder, Progress, progressMode, type WaitState } from '../progress.js'
import { formatDuration, parseDuration, readTargetUrl } from '../values.js'
import { AdminClient, BudgetRefusedError, type MaintenanceBody, UnreachableError } from './admin-client.js'

const ACTIONS = ['on', 'off', 'status'] as const
type Action = (typeof ACTIONS)[number]

export async function maintenanceCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand('maintenance', {
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      reason: { type: 'string' },
      wait: { type: 'boolean', default: false },
      'wait-for-budget': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '120s' },
      interval: { type: 'string', default: '500ms' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    io.stdout.write(HELP.maintenance)
    return EXIT.ok
  }
  const [action, target, ...extra] = positionals
  if (action === undefined) throw new UsageError('missing action: on, off or status', 'maintenance')
  if (!ACTIONS.includes(action as Action)) {
    throw new UsageError(`unknown action '${action}' (expected on, off or status)`, 'maintenance')
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, 'maintenance')
  // The health mount, e.g. http://127.0.0.1:3000/health.
  const url = readTargetUrl(values.url, target, 'maintenance')
  if (values.reason !== undefined && action !== 'on') {
    throw new UsageError('--reason only applies to maintenance on', 'maintenance')
  }
  if (values.wait && action === 'status') {
    throw new UsageError('--wait applies to on and off, not status', 'maintenance')
  }
  for (const flag of ['wait-for-budget', 'force'] as const) {
    if (values[flag] && action !== 'on')
      throw new UsageError(`--${flag} only applies to maintenance on`, 'maintenance')
  }
  if (values['wait-for-budget'] && values.force) {
    throw new UsageError(
      '--wait-for-budget and --force exclude each other: wait for the budget, or skip it',
      'maintenance',
    )
  }
  const timeoutMs = parseDuration(values.timeout, '--timeout', 'maintenance')
  const intervalMs = parseDuration(values.interval, '--interval', 'maintenance')
  const token = io.env.HEALTHGATE_ADMIN_TOKEN?.trim()
  if (!token) {
    throw new UsageError(
      'HEALTHGATE_ADMIN_TOKEN is not set: export the admin token configured on the server ' +
        '(it is read from the environment only, never from a flag)',
      'maintenance',
    )
  }

  const admin = new AdminClient(url, token, Date.now() + timeoutMs, io.signal)
  const started = Date.now()
  if (action === 'status') {
    const state = await admin.maintenance('GET')
    if (values.json) io.out(JSON.stringify(state))
    else {
      io.out(`maintenance: ${describe(state)}`)
      for (const line of describeBalancers(state)) io.out(line)
    }
    return EXIT.ok
  }

  const progress = new Progress(io, progressMode(io, values.json))
  let state =
    action === 'off'
      ? await admin.maintenance('DELETE')
      : values['wait-for-budget']
        ? await waitForBudget(admin, progress, values.reason, intervalMs, timeoutMs)
        : await admin.maintenance('PUT', values.reason, values.force)
  if (values.force) io.err("warning: --force skipped the fleet's disruption budget")
  if (action === 'on' && state.scope === 'fleet') {
    io.err(
      'warning: this maintenance change is fleet-wide: every instance now answers 503. An AWS ALB whose ' +
        'targets are all unhealthy fails open and keeps routing to all of them; take instances out one at a time.',
    )
  }
  let waited = ''
  if (values.wait && action === 'on') {
    state = await waitForDrain(admin, progress, intervalMs, timeoutMs)
    waited = `; drained after ${formatDuration(Date.now() - started)}`
  } else if (values.wait) {
    await waitForReady(admin, progress, intervalMs, timeoutMs)
    waited = `; ready after ${formatDuration(Date.now() - started)}`
  }
  io.out(values.json ? JSON.stringify(state) : `maintenance ${action}: ${describe(state)}${waited}`)
  return EXIT.ok
}

/** Asks to enter maintenance until the fleet's disruption budget lets this instance go (409 meanwhile). */
async function waitForBudget(
  admin: AdminClient,
  progress: Progress,
  reason: string | undefined,
  intervalMs: number,
  timeoutMs: number,
): Promise<MaintenanceBody> {
  let last = 'no answer yet'
  try {
    for (;;) {
      try {
        return await admin.maintenance('PUT', reason)
      } catch (error) {
        if (!(error instanceof BudgetRefusedError || error instanceof UnreachableError)) throw error
        if (!admin.pastDeadline()) last = error.message
      }
      progress.show({
        waitingFor: 'budget',
        elapsedMs: admin.elapsed(),
        timeoutMs,
        holding: [],
        threshold: undefined,
        detail: `waiting for the disruption budget: ${last}`,
      })
      await admin.pause(
        intervalMs,
        () => `timed out after ${formatDuration(timeoutMs)} waiting for the disruption budget: ${last}`,
      )
    }
  } finally {
    progress.clear()
  }
}

async function waitForDrain(admin: AdminClient, progress: Progress, intervalMs: number, timeoutMs: number) {
  let last = 'no answer yet'
  const shown: WaitState = {
    waitingFor: 'drain',
    elapsedMs: 0,
    timeoutMs,
    holding: [],
    threshold: undefined,
    detail: last,
  }
  try {
    for (;;) {
      try {
        const state = await admin.maintenance('GET')
        if (typeof state.drained === 'boolean') {
          if (state.drained) return state
          last = proberSummary(state)
          shown.holding = holders(state)
          shown.threshold =
            typeof state.unhealthyThreshold === 'number' ? state.unhealthyThreshold : undefined
          shown.detail = oneOffs(state)
        } else {
          const ready = await admin.readyStatus()
          if (ready === 503) return state
          last = `${admin.readyUrl} still answers ${ready}`
          shown.detail = last
        }
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error
        // A poll cut short by the overall deadline says nothing about the server: keep the last answer.
        if (!admin.pastDeadline()) {
          last = error.message
          shown.holding = []
          shown.detail = last
        }
      }
      shown.elapsedMs = admin.elapsed()
      progress.show(shown)
      await admin.pause(
        intervalMs,
        () => `timed out after ${formatDuration(timeoutMs)} waiting for the drain: ${last}`,
      )
    }
  } finally {
    progress.clear()
  }
}

async function waitForReady(admin: AdminClient, progress: Progress, intervalMs: number, timeoutMs: number) {
  let last = 'no answer yet'
  try {
    for (;;) {
      try {
        const ready = await admin.readyStatus()
        if (ready === 200) return
        last = `it answers ${ready}`
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error
        // A poll cut short by the overall deadline says nothing about the server: keep the last answer.
        if (!admin.pastDeadline()) last = error.message
      }
      progress.show({
        waitingFor: 'ready',
        elapsedMs: admin.elapsed(),
        timeoutMs,
        holding: [],
        threshold: undefined,
        detail: `waiting for ${admin.readyUrl} to answer 200: ${last}`,
      })
      await admin.pause(
        intervalMs,
        () =>
          `timed out after ${formatDuration(timeoutMs)} waiting for ${admin.readyUrl} to answer 200: ${last}`,
      )
    }
  } finally {
    progress.clear()
  }
}

/** The balancers holding the drain; on servers that do not say, every listed prober. */
function holders(state: MaintenanceBody): Holder[] {
  const probers = Array.isArray(state.probers) ? state.probers : []
  return probers
    .filter((prober) => prober.holding !== false)
    .map((prober) => ({ id: String(prober.id ?? '?'), consecutive503: Number(prober.consecutive503) || 0 }))
}

function oneOffs(state: MaintenanceBody): string {
  const count = Number(state.unconfirmed) || 0
  return count > 0 ? `${count} one-off request${count === 1 ? '' : 's'} not waited for` : ''
}

function proberSummary(state: MaintenanceBody): string {
  const holding = holders(state)
  if (holding.length === 0) return 'no load balancer has probed readiness yet'
  const of = typeof state.unhealthyThreshold === 'number' ? `/${state.unhealthyThreshold}` : ''
  const list = holding.map((holder) => `${holder.id} (${holder.consecutive503}${of} 503s)`).join(', ')
  return `${holding.length} balancer${holding.length === 1 ? '' : 's'} still holding the drain: ${list}`
}

/** One line per balancer, for `maintenance status`: why it counts, its interval and its 503s. */
function describeBalancers(state: MaintenanceBody): string[] {
  const probers = Array.isArray(state.probers) ? state.probers : []
  const of = typeof state.unhealthyThreshold === 'number' ? `/${state.unhealthyThreshold}` : ''
  const lines = probers.map((prober) => {
    const why = [
      prober.kind,
      typeof prober.intervalMs === 'number' ? `every ${formatDuration(prober.intervalMs)}` : undefined,
    ].filter(Boolean)
    const holding =
      prober.holding === true ? ', holding the drain' : prober.holding === false ? ', let go' : ''
    return `  balancer ${prober.id ?? '?'}${why.length > 0 ? ` (${why.join(', ')})` : ''}: ${Number(prober.consecutive503) || 0}${of} consecutive 503s${holding}`
  })
  if (probers.length === 0) lines.push('  no load balancer has probed readiness recently')
  const oneOff = oneOffs(state)
  if (oneOff) lines.push(`  ${oneOff}`)
  return lines
}

function describe(state: MaintenanceBody): string {
  if (!state.enabled) return 'off'
  const details = [
    state.reason ? `reason: ${state.reason}` : undefined,
    state.source ? `source: ${state.source}` : undefined,
    state.scope ? `scope: ${state.scope}` : undefined,
    typeof state.drained === 'boolean' ? `drained: ${state.drained ? 'yes' : 'no'}` : undefined,
  ].filter(Boolean)
  return `on${state.since ? ` since ${state.since}` : ''}${details.length > 0 ? ` (${details.join(', ')})` : ''}`
}
