// What runs anywhere fetch and timers exist: shared by the Node entry and the browser entry.
// The status grammar of every healthgate package, for callers of probeHealth() that need a matcher.
export { parseStatusMatcher, type StatusMatcher } from '@healthgate/core/primitives'
export {
  type ActiveEndpoint,
  createFailover,
  type EndpointSnapshot,
  type EndpointStatus,
  type FailoverEndpoint,
  type FailoverEvent,
  type FailoverMonitor,
  type FailoverOptions,
  type FailoverSnapshot,
} from './monitor.js'
export {
  type FetchLike,
  type FetchResponseLike,
  isProbeTimeoutError,
  type ProbeMethod,
  type ProbeOptions,
  type ProbeResult,
  ProbeTimeoutError,
  probeHealth,
} from './probe.js'
