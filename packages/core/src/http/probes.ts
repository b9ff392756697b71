// The probe routes (readiness, liveness, startup, one check): what load balancers ask for, many times a second.
import type { Health } from '../health.js'
import type { HealthReport } from '../types.js'
import { jsonError, methodNotAllowed, type ReportRenderer } from './response.js'
import type { HealthRequest, HealthResponse, RouteAnswer } from './types.js'
import { parseExclude, truncate, upperCase } from './url.js'

export type ProbeRoute = 'ready' | 'live' | 'startup'

/** Who sees error text, observed values and times: nobody, callers with the admin token, or everyone. */
export type DetailsMode = 'never' | 'authorized' | 'always'

export interface ProbeRoutes {
  /** `GET/HEAD` of a probe route; `query` is the target after `?` (empty when none). */
  probe(request: HealthRequest, route: ProbeRoute, query: string): RouteAnswer
  /** `GET/HEAD /checks/:name`, the name still percent-encoded. */
  oneCheck(request: HealthRequest, encodedName: string): Promise<HealthResponse>
}

export interface ProbeRoutesOptions {
  health: Pick<Health, 'has' | 'cachedReport' | 'evaluate' | 'evaluateCheck' | 'recordProbe'>
  details: DetailsMode
  isAuthorized: (request: HealthRequest) => boolean
  render: ReportRenderer
}

const PROBE_METHODS = 'GET, HEAD'
const NO_EXCLUDE: readonly string[] = Object.freeze([])

export function createProbeRoutes({
  health,
  details,
  isAuthorized,
  render,
}: ProbeRoutesOptions): ProbeRoutes {
  // Consecutive readiness requests from one prober (nearly all of them under load) reuse its id string
  // instead of building and hashing a new one per request.
  let lastProber: { address: string | undefined; agent: string | undefined; id: string } | undefined
  const proberId = (request: HealthRequest): string => {
    const header = request.headers['user-agent']
    const agent = Array.isArray(header) ? header[0] : header
    const address = request.remoteAddress
    const last = lastProber
    if (last !== undefined && last.address === address && last.agent === agent) return last.id
    const id = `${address ?? 'unknown'} ${agent ?? ''}`.trim()
    lastProber = { address, agent, id }
    return id
  }

  const answer = (
    request: HealthRequest,
    route: ProbeRoute,
    head: boolean,
    report: HealthReport,
    now: number,
  ): HealthResponse => {
    if (route === 'ready') {
      // proberId() leaves the request's address and agent in lastProber: no second header lookup.
      const id = proberId(request)
      const last = lastProber as NonNullable<typeof lastProber>
      health.recordProbe(id, report.httpStatus, now, last.address, last.agent)
    }
    const detailed = details === 'always' || (details === 'authorized' && isAuthorized(request))
    return render(report, detailed, head)
  }

  return {
    probe(request, route, query) {
      const method = upperCase(request.method)
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(PROBE_METHODS)
      let exclude = NO_EXCLUDE
      if (query.length > 0) {
        exclude = parseExclude(query)
        for (const name of exclude) {
          if (!health.has(name)) return jsonError(400, `Unknown check "${truncate(name)}" in \`exclude\``)
        }
      }
      const head = method === 'HEAD'
      // A cached report is answered without a promise chain: this is every request but one per TTL.
      const now = performance.now()
      const cached = health.cachedReport(route, exclude, now)
      if (cached) return answer(request, route, head, cached, now)
      return health
        .evaluate({ probe: route, exclude })
        .then((report) => answer(request, route, head, report, performance.now()))
    },

    async oneCheck(request, encodedName) {
      const method = upperCase(request.method)
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(PROBE_METHODS)
      let name: string
      try {
        name = decodeURIComponent(encodedName)
      } catch {
        return jsonError(400, 'Malformed check name in path')
      }
      if (!health.has(name)) return jsonError(404, `Unknown check "${truncate(name)}"`)
      const report = await health.evaluateCheck(name)
      const detailed = details === 'always' || (details === 'authorized' && isAuthorized(request))
      return render(report, detailed, method === 'HEAD')
    },
  }
}
