import type {
  Server,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js'
import type { Health, HealthReport, Probe, Status } from '@healthgate/core'
import { optionReader } from '@healthgate/core/primitives'
import { type HealthRequest, healthServiceDefinition, ServingStatus } from './codec.js'
import { WatchHub } from './watch.js'

export type { HealthRequest } from './codec.js'
export { healthServiceDefinition, ServingStatus } from './codec.js'

/** Options of {@link addHealthService}. */
export interface GrpcHealthOptions {
  /** The service name answering liveness (checks tagged `live`). Default: `'liveness'`. */
  liveness?: string
  /** The service name answering startup (`SERVING` once startup completed). Default: `'startup'`. */
  startup?: string
  /** Whether each check's name is a service answering that check alone. Default: `true`. */
  checks?: boolean
  /**
   * Probers whose `user-agent` matches get `NOT_SERVING` as the gRPC status `UNAVAILABLE` instead of an OK
   * answer: AWS ALB gRPC health checks judge the status code only, never the body. Default: none.
   */
  unavailableFor?: RegExp
}

/** A gRPC prober's identity, remembered for the next call from the same peer and User-Agent. */
interface GrpcProber {
  peer: string
  rawAgent: unknown
  id: string
  address: string
  agent: string | undefined
}

/** What {@link addHealthService} returns: the service added to the server, and how to end its Watch streams. */
export interface GrpcHealthService {
  /** Open Watch streams. */
  readonly watchers: number
  /** Ends every Watch stream (status OK) and unsubscribes from the health; Check keeps answering. Idempotent. */
  close(): void
}

const read = optionReader('addHealthService')
const OPTION_KEYS = ['liveness', 'startup', 'checks', 'unavailableFor']
// gRPC status codes (grpc-js `status`), inlined so that this module only imports types from the peer.
const NOT_FOUND = 5
const UNAVAILABLE = 14

const servingOf = (status: Status): ServingStatus =>
  status === 'fail' ? ServingStatus.NOT_SERVING : ServingStatus.SERVING

/** A check's own service answers its own result: a failing non-critical check is NOT_SERVING, not `warn`. */
const servingOfReport = (report: HealthReport, probe: Probe | 'check'): ServingStatus =>
  servingOf(probe === 'check' ? (report.checks[0]?.status ?? report.status) : report.status)

/**
 * The prober behind a call, as the HTTP handler counts it for drain confirmation: its address without the
 * port (a prober opens new connections) and its `user-agent`. grpc-js peers read `ipv4:10.0.0.1:5000`,
 * `10.0.0.1:5000` or `[::1]:5000`.
 */
export function proberIdOf(call: { getPeer(): string; metadata: { get(key: string): unknown[] } }): string {
  const peer = call.getPeer().replace(/^ipv[46]:/, '')
  const address = peer.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1') || 'unknown'
  const agent = call.metadata.get('user-agent')[0]
  return `${address} ${typeof agent === 'string' ? agent : ''}`.trim()
}

/**
 * Serves `grpc.health.v1.Health` (Check, Watch, List) on `server`, from `health`: service `""` is readiness,
 * `liveness` and `startup` name those probes, and each check's name is that check. Answers come from the same
 * cached, deadline-bound results as the HTTP routes; readiness Checks count for drain confirmation.
 */
export function addHealthService(
  server: Pick<Server, 'addService'>,
  health: Health,
  options?: GrpcHealthOptions,
): GrpcHealthService {
  const given = read.object(options, OPTION_KEYS) as GrpcHealthOptions
  const liveness = read.string('liveness', given.liveness) ?? 'liveness'
  const startup = read.string('startup', given.startup) ?? 'startup'
  const checks = read.boolean('checks', given.checks, true)
  const unavailableFor = given.unavailableFor
  if (unavailableFor !== undefined && !(unavailableFor instanceof RegExp)) {
    read.fail('unavailableFor', 'a RegExp', unavailableFor)
  }
  if (liveness === '' || startup === '' || liveness === startup) {
    read.fail('liveness', 'a non-empty name other than `startup` and other than "" (readiness)', liveness)
  }

  const probeOf = (service: string): Probe | 'check' | undefined => {
    if (service === '') return 'ready'
    if (service === liveness) return 'live'
    if (service === startup) return 'startup'
    return checks && health.has(service) ? 'check' : undefined
  }

  const evaluate = (service: string, probe: Probe | 'check'): Promise<HealthReport> =>
    probe === 'check' ? health.evaluateCheck(service) : health.evaluate({ probe })

  const statusOf = (service: string): ServingStatus => {
    const probe = probeOf(service)
    if (probe === undefined) return ServingStatus.SERVICE_UNKNOWN
    const status = probe === 'check' ? health.latestStatus('check', service) : health.latestStatus(probe)
    return status === undefined ? ServingStatus.SERVICE_UNKNOWN : servingOf(status)
  }

  const hub = new WatchHub(health, statusOf, async (service) => {
    const probe = probeOf(service)
    if (probe !== undefined) await evaluate(service, probe)
  })

  // Consecutive Checks from one prober (nearly all of them under load) reuse its id instead of parsing it again.
  let lastProber: GrpcProber | undefined
  // The address and User-Agent too, so that the `probers` matchers of the health apply to gRPC probers.
  const proberOf = (call: ServerUnaryCall<HealthRequest, ServingStatus>): GrpcProber => {
    const peer = call.getPeer()
    const agent = call.metadata.get('user-agent')[0]
    const last = lastProber
    if (last !== undefined && last.peer === peer && last.rawAgent === agent) return last
    const id = proberIdOf(call)
    const address = peer
      .replace(/^ipv[46]:/, '')
      .replace(/:\d+$/, '')
      .replace(/^\[(.*)\]$/, '$1')
    lastProber = { peer, rawAgent: agent, id, address, agent: typeof agent === 'string' ? agent : undefined }
    return lastProber
  }

  const check = (
    call: ServerUnaryCall<HealthRequest, ServingStatus>,
    callback: sendUnaryData<ServingStatus>,
  ) => {
    const service = call.request.service
    const probe = probeOf(service)
    if (probe === undefined) {
      callback({ code: NOT_FOUND, details: 'unknown service' })
      return
    }
    const answer = (report: HealthReport, now: number) => {
      if (probe === 'ready') {
        const prober = proberOf(call)
        health.recordProbe(prober.id, report.httpStatus, now, prober.address, prober.agent)
      }
      const serving = servingOfReport(report, probe)
      if (serving === ServingStatus.NOT_SERVING && unavailableFor !== undefined) {
        const agent = call.metadata.get('user-agent')[0]
        if (typeof agent === 'string' && unavailableFor.test(agent)) {
          callback({ code: UNAVAILABLE, details: 'NOT_SERVING' })
          return
        }
      }
      callback(null, serving)
    }
    if (probe !== 'check') {
      const now = performance.now()
      const cached = health.cachedReport(probe, [], now)
      if (cached !== undefined) return answer(cached, now)
    }
    evaluate(service, probe).then(
      (report) => answer(report, performance.now()),
      // A health closed meanwhile or a check removed meanwhile: no answer to trust.
      () => callback({ code: UNAVAILABLE, details: 'health unavailable' }),
    )
  }

  const list = (
    _call: ServerUnaryCall<unknown, unknown>,
    callback: sendUnaryData<Map<string, ServingStatus>>,
  ) => {
    const services = ['', liveness, startup, ...(checks ? health.checkNames : [])]
    Promise.all(services.map((service) => evaluate(service, probeOf(service) as Probe | 'check'))).then(
      (reports) =>
        callback(
          null,
          new Map(
            services.map((s, i) => [
              s,
              servingOfReport(reports[i] as HealthReport, probeOf(s) as Probe | 'check'),
            ]),
          ),
        ),
      () => callback({ code: UNAVAILABLE, details: 'health unavailable' }),
    )
  }

  const implementation: UntypedServiceImplementation = {
    Check: check,
    Watch: (call: ServerWritableStream<HealthRequest, ServingStatus>) => hub.add(call),
    List: list,
  }
  server.addService(healthServiceDefinition, implementation)

  return {
    get watchers() {
      return hub.size
    },
    close: () => hub.close(),
  }
}

/** Options of {@link shutdownGrpcServer}. */
export interface ShutdownGrpcServerOptions {
  /** The health service whose Watch streams would otherwise hold `tryShutdown()` open. */
  service?: GrpcHealthService
  /** Longest wait for in-flight calls after `tryShutdown()`, in ms; then `forceShutdown()`. Default: 10000. */
  timeoutMs?: number
}

const readShutdown = optionReader('shutdownGrpcServer')

/**
 * Graceful gRPC shutdown for `installShutdown(health, { close: () => shutdownGrpcServer(server, ...) })`:
 * ends the Watch streams, then `server.tryShutdown()`, and `forceShutdown()` after `timeoutMs`.
 * Resolves `true` when it had to force.
 */
export function shutdownGrpcServer(
  server: Pick<Server, 'tryShutdown' | 'forceShutdown'>,
  options?: ShutdownGrpcServerOptions,
): Promise<boolean> {
  // Validated synchronously, so that a bad option throws where the shutdown is installed.
  const given = readShutdown.object(options, ['service', 'timeoutMs']) as ShutdownGrpcServerOptions
  const timeoutMs = readShutdown.positiveNumber('timeoutMs', given.timeoutMs, 10_000)
  given.service?.close()
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown()
      resolve(true)
    }, timeoutMs)
    server.tryShutdown(() => {
      clearTimeout(timer)
      resolve(false)
    })
  })
}
