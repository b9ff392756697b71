// The admin token: who may use the maintenance API and see detailed bodies.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { AuthThrottle } from './throttle.js'
import { firstHeader, type HealthRequest } from './types.js'

export interface Auth {
  /** Whether a token is configured; without one the admin API is off. */
  readonly enabled: boolean
  /**
   * `true` when the request carries `Authorization: Bearer <token>` with the configured token; `false` when
   * it does not; or the milliseconds its address must still wait after too many failures (the token is then
   * not looked at). A request without an `Authorization` header counts as no attempt: `false`, or with
   * `evenWithout` the wait of a blocked address (the admin API refuses a blocked address whatever it sends).
   */
  readonly check: (request: HealthRequest, now: number, evenWithout?: boolean) => boolean | number
  /** `check()` reduced to yes or no, for detailed bodies. */
  readonly isAuthorized: (request: HealthRequest) => boolean
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i

/** Shorter admin tokens are refused at startup: 16 random characters are out of reach of online guessing. */
export const MIN_ADMIN_TOKEN_LENGTH = 16

export function createAuth(token: string | undefined, throttle: AuthThrottle): Auth {
  if (!token) return { enabled: false, check: () => false, isAuthorized: () => false }
  // Compared as digests: equal lengths for timingSafeEqual, and no timing hint about the token's length.
  const expected = digest(token)
  const check = (request: HealthRequest, now: number, evenWithout = false): boolean | number => {
    const value = firstHeader(request.headers.authorization)
    // Detailed probe bodies ask on every request: without a header, no table lookup.
    if (value === undefined && !evenWithout) return false
    const address = request.remoteAddress ?? 'unknown'
    const wait = throttle.blockedFor(address, now)
    if (wait > 0) return wait
    if (value === undefined) return false
    const match = typeof value === 'string' ? BEARER.exec(value) : null
    if (match?.[1] && timingSafeEqual(digest(match[1]), expected)) {
      throttle.succeeded(address)
      return true
    }
    throttle.failed(address, now)
    return false
  }
  return {
    enabled: true,
    check,
    isAuthorized: (request) => check(request, performance.now()) === true,
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
