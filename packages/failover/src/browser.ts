// Entry for browsers and React Native (the `browser` / `react-native` export conditions): everything but
// the Node-only HTTP server, so bundlers never have to resolve node:http.
import type { ActiveServer, ServeActiveOptions } from './serve.js'

export { parseExpect, type StatusMatcher } from './expect.js'
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
export type { ActiveResponse, ActiveServer, ServeActiveOptions } from './serve.js'

/** Node only: serving HTTP needs node:http. Rejects in this build. */
export async function serveActive(_options: ServeActiveOptions): Promise<ActiveServer> {
  throw new Error(
    'serveActive() needs Node.js (node:http); it is not available in browser or React Native builds',
  )
}
