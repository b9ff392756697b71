// The admin API as the CLI speaks it: maintenance (read, enter, leave) and the fleet view, with the token
// from the environment, a deadline on every request, and the server's own words on a refusal.
import { raceDeadline, sleep } from '@healthgate/core/primitives'
import { CommandError, InterruptedError } from '../errors.js'
import { formatDuration } from '../values.js'
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

/** `GET /health/fleet` (the server's fleet view); every field optional to tolerate other servers. */
export interface FleetBody {
  service?: string
  instanceId?: string
  /** `known`, or `unknown` while the server cannot reach the fleet's store. */
  fleet?: string
  note?: string
  ready?: number
  total?: number
  minAvailable?: number | string
  panicThreshold?: number
  panic?: boolean
  instances?: Array<{
    id?: string
    status?: string
    ready?: boolean
    state?: string
    maintenance?: boolean
    draining?: boolean
    panic?: boolean
    version?: string
    address?: string
    lastSeen?: string
  }>
}

/** Each request gives up after this long even when --timeout leaves more, so one hung poll cannot eat the whole wait. */
const REQUEST_TIMEOUT_MS = 10_000

// Named so an operator can tell the CLI's readiness polls from a load balancer's in the server's prober list.
const USER_AGENT = `healthgate-cli/${VERSION}`

/** No answer at all (refused, reset, timed out): worth retrying while waiting. */
export class UnreachableError extends CommandError {}

/** The instance's disruption budget refused maintenance (409): worth retrying with --wait-for-budget. */
export class BudgetRefusedError extends CommandError {}

export class AdminClient {
  readonly maintenanceUrl: string
  readonly readyUrl: string
  readonly fleetUrl: string
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
    this.fleetUrl = `${base}/fleet`
  }

  elapsed() {
    return Date.now() - this.started
  }

  pastDeadline() {
    return Date.now() >= this.deadline
  }

  async maintenance(
    method: 'GET' | 'PUT' | 'DELETE',
    reason?: string,
    force = false,
  ): Promise<MaintenanceBody> {
    let body: string | undefined
    if (reason !== undefined || force) body = JSON.stringify({ reason, ...(force ? { force } : {}) })
    return (await this.json(method, this.maintenanceUrl, body)) as MaintenanceBody
  }

  /** `GET <mount>/fleet`: every instance of the fleet this one belongs to. */
  async fleet(): Promise<FleetBody> {
    return (await this.json('GET', this.fleetUrl)) as FleetBody
  }

  /** An admin request answered with a JSON object; refusals become errors in the server's words. */
  private async json(method: string, url: string, body?: string): Promise<object> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const answer = await this.send(method, url, headers, body)
    const where = `${method} ${url} answered ${answer.status}`
    let parsed: unknown
    try {
      parsed = JSON.parse(answer.text)
    } catch {
      parsed = undefined
    }
    const said = (parsed as { error?: unknown } | undefined)?.error
    const reason = typeof said === 'string' ? said : undefined
    if (answer.status === 401 || answer.status === 403) {
      throw new CommandError(`token rejected (${where}): check HEALTHGATE_ADMIN_TOKEN`)
    }
    if (answer.status === 409) throw new BudgetRefusedError(reason ?? `refused (${where})`)
    if (answer.status === 404 && url === this.fleetUrl && reason?.includes('fleet')) {
      throw new CommandError(`${reason} (${where}): give the server a fleet (redisFleet)`)
    }
    if (answer.status === 404) {
      throw new CommandError(
        `admin API not enabled (set HEALTHGATE_ADMIN_TOKEN on the server) (${where}); ` +
          'also check that --url is the health mount',
      )
    }
    if (answer.status !== 200) {
      throw new CommandError(`unexpected answer: ${where}${reason ? `: ${reason}` : ''}`)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CommandError(`unexpected answer: ${method} ${url} did not return a JSON object`)
    }
    return parsed
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
