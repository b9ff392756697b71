// Entry for browsers and React Native (the `browser` / `react-native` export conditions): everything but
// the Node-only HTTP server, so bundlers never have to resolve node:http.
import type { ActiveServer, ServeActiveOptions } from './serve.js'

export * from './portable.js'
export type { ActiveResponse, ActiveServer, ServeActiveOptions } from './serve.js'

/** Node only: serving HTTP needs node:http. Rejects in this build. */
export async function serveActive(_options: ServeActiveOptions): Promise<ActiveServer> {
  throw new Error(
    'serveActive() needs Node.js (node:http); it is not available in browser or React Native builds',
  )
}
