import { raceDeadline, sleep } from '@healthgate/core/primitives'
import { type Io, parseCommand } from '../args.js'
import { CommandError, EXIT, InterruptedError, UsageError } from '../errors.js'
import { HELP } from '../help.js'
import { type Holder, Progress, progressMode, type WaitState } from '../progress.js'
import { formatDuration, parseDuration, readTargetUrl } from '../values.js'
import { VERSION } from '../version.js'

/** The admin API's maintenance JSON (core handler contract); every field is optional to tolerate older servers. */
export interface MaintenanceBody {
  enabled?: boolean
  reason?: string
  since?: string
  source?: string
  /** The load balancers have seen this instance answer 503 (drain confirmed). Absent on servers without drain tracking. */
  drained?: boolean
  /** `'fleet'` when the change applies to every instance sharing the store (e.g. Redis). */
  scope?: string
  probers?: Array<{
    id?: string
    /** `periodic` or `matched`: why the server counts it as a load balancer. */
    kind?: string
    intervalMs?: number
    consecutive503?: number
    /** Still holding the drain. Absent on older servers, where every listed prober may hold it. */
    holding?: boolean
    lastSeen?: string
  }>
  /** Consecutive 503s each balancer must see. */
  unhealthyThreshold?: number
  /** Recent one-off identities the drain does not wait for. */
  unconfirmed?: number
}

const ACTIONS = ['on', 'off', 'status'] as const
type Action = (typeof ACTIONS)[number]

/** Each request gives up after this long even when --timeout leaves more, so one hung poll cannot eat the whole wait. */
const REQUEST_TIMEOUT_MS = 10_000

// Named so an operator can tell the CLI's readiness polls from a load balancer's in the server's prober list.
const USER_AGENT = `healthgate-cli/${VERSION}`

/** No answer at all (refused, reset, timed out): worth retrying while waiting. */
class UnreachableError extends CommandError {}

export async function maintenanceCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand('maintenance', {
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      reason: { type: 'string' },
      wait: { type: 'boolean', default: false },
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

  let state = await admin.maintenance(action === 'on' ? 'PUT' : 'DELETE', values.reason)
  if (action === 'on' && state.scope === 'fleet') {
    io.err(
      'warning: this maintenance change is fleet-wide: every instance now answers 503. An AWS ALB whose ' +
        'targets are all unhealthy fails open and keeps routing to all of them; take instances out one at a time.',
    )
  }
  let waited = ''
  const progress = new Progress(io, progressMode(io, values.json))
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

class AdminClient {
  readonly maintenanceUrl: string
  readonly readyUrl: string
  private readonly started = Date.now()

  constructor(
    mount: URL,
    private readonly token: string,
    private readonly deadline: number,
    private readonly signal: AbortSignal,
  ) {
    const base = `${mount.origin}${mount.pathname.replace(/\/+$/, '')}`
    this.maintenanceUrl = `${base}/maintenance`
    this.readyUrl = `${base}/ready`
  }

  elapsed() {
    return Date.now() - this.started
  }

  pastDeadline() {
    return Date.now() >= this.deadline
  }

  async maintenance(method: 'GET' | 'PUT' | 'DELETE', reason?: string): Promise<MaintenanceBody> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    }
    let body: string | undefined
    if (reason !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify({ reason })
    }
    const answer = await this.send(method, this.maintenanceUrl, headers, body)
    const where = `${method} ${this.maintenanceUrl} answered ${answer.status}`
    if (answer.status === 401 || answer.status === 403) {
      throw new CommandError(`token rejected (${where}): check HEALTHGATE_ADMIN_TOKEN`)
    }
    if (answer.status === 404) {
      throw new CommandError(
        `admin API not enabled (set HEALTHGATE_ADMIN_TOKEN on the server) (${where}); ` +
          'also check that --url is the health mount',
      )
    }
    if (answer.status !== 200) throw new CommandError(`unexpected answer: ${where}`)
    let parsed: unknown
    try {
      parsed = JSON.parse(answer.text)
    } catch {
      parsed = undefined
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CommandError(
        `unexpected answer: ${method} ${this.maintenanceUrl} did not return a JSON object`,
      )
    }
    return parsed as MaintenanceBody
  }

  async readyStatus(): Promise<number> {
    return (await this.send('GET', this.readyUrl, { accept: 'application/health+json' })).status
  }

  /** Sleeps `ms`, capped by the deadline; past the deadline throws the message `timedOut()` builds. */
  async pause(ms: number, timedOut: () => string) {
    const remaining = this.deadline - Date.now()
    if (remaining <= 0) throw new CommandError(timedOut())
    await sleep(Math.min(ms, remaining), { signal: this.signal }).catch(() => {
      throw new InterruptedError()
    })
    if (this.deadline - Date.now() <= 0) throw new CommandError(timedOut())
  }

  private async send(method: string, url: string, headers: Record<string, string>, body?: string) {
    const remaining = this.deadline - Date.now()
    if (remaining <= 0) throw new CommandError(`timed out before ${method} ${url}`)
    const limit = Math.min(remaining, REQUEST_TIMEOUT_MS)
    const outcome = await raceDeadline(
      async (signal) => {
        const response = await fetch(url, {
          method,
          headers: { 'user-agent': USER_AGENT, ...headers },
          body,
          signal,
          redirect: 'manual',
        })
        return { status: response.status, text: await response.text() }
      },
      limit,
      { signal: this.signal },
    ).settled
    switch (outcome.kind) {
      case 'ok':
        return outcome.value
      case 'aborted':
        throw new InterruptedError()
      case 'timeout':
        throw new UnreachableError(`no answer from ${method} ${url} within ${formatDuration(limit)}`)
      case 'error':
        throw new UnreachableError(`cannot reach ${method} ${url}: ${describeError(outcome.error)}`)
    }
  }
}

function describeError(error: unknown): string {
  if (typeof error !== 'object' || error === null || !('message' in error)) return String(error)
  const cause: unknown = 'cause' in error ? error.cause : undefined
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined
  return code ? `${String(error.message)} (${code})` : String(error.message)
}
