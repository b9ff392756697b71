import { hostname } from 'node:os'

/**
 * The demo's fleet, from the environment: with `HEALTHGATE_FLEET_REDIS_URL` set, the instance joins the fleet
 * `HEALTHGATE_SERVICE` (default `demo`) as `HEALTHGATE_INSTANCE_ID` (default: host name and `PORT`, or the
 * process id when `PORT` is 0), with the disruption budget `HEALTHGATE_MIN_AVAILABLE` (a count such as `2` or
 * a percentage such as `50%`) and the panic threshold `HEALTHGATE_PANIC_THRESHOLD` (a fraction such as
 * `0.5`), both off by default. Resolves `{ fleet, close }`, or `{}` without the URL; `close()` closes the
 * fleet's own Redis connection (the health closes the fleet itself).
 */
export async function fleetFromEnv(env, port) {
  const url = env.HEALTHGATE_FLEET_REDIS_URL
  if (!url) return {}
  const [{ Redis }, { redisFleet }] = await Promise.all([import('ioredis'), import('@healthgate/redis')])
  const settings = {
    service: env.HEALTHGATE_SERVICE || 'demo',
    instanceId: env.HEALTHGATE_INSTANCE_ID || `${hostname()}:${port === 0 ? `pid-${process.pid}` : port}`,
    minAvailable: readMinAvailable(env.HEALTHGATE_MIN_AVAILABLE),
    panicThreshold: readThreshold(env.HEALTHGATE_PANIC_THRESHOLD),
  }
  // Its own connection: the fleet never waits behind the checks' commands, and reconnects on its own.
  const client = new Redis(url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    const fleet = redisFleet({ client, ...settings })
    return { fleet, close: () => client.quit().catch(() => client.disconnect()) }
  } catch (error) {
    client.disconnect()
    throw error
  }
}

function readMinAvailable(value) {
  if (value === undefined || value === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value)
  if (/^\d+(\.\d+)?\s*%$/.test(value.trim())) return value.trim()
  throw new TypeError(
    `Expected HEALTHGATE_MIN_AVAILABLE to be a count such as 2 or a percentage such as 50%, got ${JSON.stringify(value)}`,
  )
}

function readThreshold(value) {
  if (value === undefined || value === '') return undefined
  const fraction = Number(value)
  if (!(fraction > 0 && fraction <= 1)) {
    throw new TypeError(
      `Expected HEALTHGATE_PANIC_THRESHOLD to be a fraction above 0 and at most 1 such as 0.5, got ${JSON.stringify(value)}`,
    )
  }
  return fraction
}
