/** The real services the integration tests use, set by `PG_URL`, `REDIS_URL`, ...; `global-setup.cjs` checks them. */
export const PG_URL = process.env.PG_URL || 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
export const MYSQL_URL = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/test'
export const AMQP_URL = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672'
export const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222'
export const MQTT_URL = process.env.MQTT_URL || 'mqtt://127.0.0.1:1883'

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
