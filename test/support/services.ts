/** The real services the integration tests use, set by `PG_URL` and `REDIS_URL`; `global-setup.cjs` checks them. */
export const PG_URL = process.env.PG_URL || 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'

/** Host and port of a service URL, e.g. to point a fault proxy at it. */
export function endpointOf(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url)
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: Number(parsed.port) || defaultPort,
  }
}

/** The same URL pointed at another host and port (credentials, database and query kept). */
export function withEndpoint(url: string, endpoint: { host: string; port: number }): string {
  const parsed = new URL(url)
  parsed.hostname = endpoint.host
  parsed.port = String(endpoint.port)
  return parsed.toString()
}

/** A suffix that keeps Redis keys and database objects of concurrent test runs apart. */
export const uniqueSuffix = (): string =>
  `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
