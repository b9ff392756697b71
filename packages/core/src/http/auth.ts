// The admin token: who may use the maintenance API and see detailed bodies.
import { createHash, timingSafeEqual } from 'node:crypto'
import { firstHeader, type HealthRequest } from './types.js'

export interface Auth {
  /** Whether a token is configured; without one the admin API is off. */
  readonly enabled: boolean
  /** Whether the request carries `Authorization: Bearer <token>` with the configured token. */
  readonly isAuthorized: (request: HealthRequest) => boolean
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i

export function createAuth(token: string | undefined): Auth {
  if (!token) return { enabled: false, isAuthorized: () => false }
  // Compared as digests: equal lengths for timingSafeEqual, and no timing hint about the token's length.
  const expected = digest(token)
  return {
    enabled: true,
    isAuthorized(request) {
      const value = firstHeader(request.headers.authorization)
      if (typeof value !== 'string') return false
      const match = BEARER.exec(value)
      if (!match?.[1]) return false
      return timingSafeEqual(digest(match[1]), expected)
    },
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
