import { cpuCheck, diskCheck, eventLoopCheck, httpCheck, memoryCheck } from '@healthgate/core'

/**
 * The demo's checks, from the environment. Without configuration only the process and host checks run,
 * so the demo starts on a fresh machine; each URL adds a dependency. Drivers load only when configured.
 *
 * Returns the checks and `close()`, which releases the clients opened here (checks borrow clients and
 * never close them).
 */
export async function checksFromEnv(env) {
  const checks = [memoryCheck(), eventLoopCheck(), cpuCheck(), diskCheck()]
  const closers = []
  if (env.DATABASE_URL) {
    const [{ default: pg }, { pgCheck }] = await Promise.all([import('pg'), import('@healthgate/pg')])
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 5 })
    // Errors of idle connections surface in the check's result; without a listener they crash the process.
    pool.on('error', () => {})
    checks.push(pgCheck({ pool }))
    closers.push(() => pool.end())
  }
  if (env.REDIS_URL) {
    const [{ Redis }, { redisCheck }] = await Promise.all([import('ioredis'), import('@healthgate/redis')])
    const client = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 })
    // Connection errors surface in the check's result while ioredis reconnects.
    client.on('error', () => {})
    checks.push(redisCheck({ client }))
    closers.push(() => client.quit().catch(() => client.disconnect()))
  }
  if (env.MYSQL_URL) {
    const [{ default: mysql }, { mysqlCheck }] = await Promise.all([
      import('mysql2/promise'),
      import('@healthgate/mysql'),
    ])
    const pool = mysql.createPool({ uri: env.MYSQL_URL, connectionLimit: 5 })
    checks.push(mysqlCheck({ pool }))
    closers.push(() => pool.end())
  }
  if (env.AMQP_URL) {
    const { amqpCheck } = await import('@healthgate/amqp')
    // The check's own connection, opened on the first run (the demo starts while the broker is down) and
    // closed by health.close().
    checks.push(amqpCheck({ url: env.AMQP_URL }))
  }
  if (env.NATS_URL) {
    const { natsCheck } = await import('@healthgate/nats')
    checks.push(natsCheck({ servers: env.NATS_URL }))
  }
  if (env.MQTT_URL) {
    const { mqttCheck } = await import('@healthgate/mqtt')
    checks.push(mqttCheck({ url: env.MQTT_URL }))
  }
  if (env.UPSTREAM_URL) {
    // Non-critical: an upstream outage degrades this instance to `warn` (200) instead of draining it.
    checks.push(httpCheck({ name: 'upstream', url: env.UPSTREAM_URL, critical: false }))
  }
  return {
    checks,
    close: async () => {
      await Promise.allSettled(closers.map((close) => close()))
    },
  }
}

/**
 * `PORT` (default 3000), `HOST` (default 0.0.0.0), `HEALTHGATE_ADMIN_TOKEN` (default: admin API off; at least
 * 16 characters), `HEALTHGATE_ADMIN_PORT` (default: the admin API is served on `PORT`; when set, only there).
 */
export function serverConfig(env) {
  const port = readPort(env, 'PORT', 3000)
  const adminPort = readPort(env, 'HEALTHGATE_ADMIN_PORT', undefined)
  const adminToken = env.HEALTHGATE_ADMIN_TOKEN || undefined
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new TypeError(
      `HEALTHGATE_ADMIN_TOKEN is ${adminToken.length} characters long; it must be at least 16 (e.g. \`openssl rand -hex 32\`)`,
    )
  }
  if (adminPort !== undefined && adminToken === undefined) {
    throw new TypeError(
      'HEALTHGATE_ADMIN_PORT needs HEALTHGATE_ADMIN_TOKEN: the admin API is off without a token',
    )
  }
  return { port, host: env.HOST || '0.0.0.0', adminToken, adminPort }
}

function readPort(env, name, fallback) {
  if (env[name] === undefined || env[name] === '') return fallback
  const port = Number(env[name])
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`Expected ${name} to be a port number (0-65535), got ${JSON.stringify(env[name])}`)
  }
  return port
}

/** The base URL to show for a listening address: a wildcard host is reached as localhost. */
export function baseUrl(address) {
  const host = ['0.0.0.0', '::', '::0'].includes(address.address)
    ? 'localhost'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address
  return `http://${host}:${address.port}`
}

/** The curl lines to try against a running demo. */
export function usage(url, { adminToken, adminUrl = url, path = '/health', inFleet = false }) {
  const lines = [
    `  curl -i ${url}/`,
    `  curl -i ${url}${path}`,
    `  curl -I ${url}${path}`,
    `  curl -i ${url}${path}/live`,
    `  curl -i ${url}${path}/checks/memory`,
  ]
  if (adminToken) {
    const auth = '-H "Authorization: Bearer $HEALTHGATE_ADMIN_TOKEN"'
    lines.push(
      `  curl -i ${auth} ${url}${path}`,
      `  curl -i -X PUT ${auth} -H 'content-type: application/json' -d '{"reason":"deploy 1.4.2"}' ${adminUrl}${path}/maintenance`,
      `  curl -i -X DELETE ${auth} ${adminUrl}${path}/maintenance`,
    )
    if (inFleet) lines.push(`  curl -i ${auth} ${adminUrl}${path}/fleet`)
  } else {
    lines.push('  (set HEALTHGATE_ADMIN_TOKEN to turn on the maintenance API and detailed bodies)')
  }
  return lines.join('\n')
}
