// globalSetup of the integration project (jest.config.cjs): its tests talk to a real PostgreSQL, Redis,
// MariaDB (or MySQL), RabbitMQ, NATS and Mosquitto (MQTT). Fail fast with instructions instead of letting every test time out one by one.
const net = require('node:net')

const PG_URL = process.env.PG_URL || 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const MYSQL_URL = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/test'
const AMQP_URL = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672'
const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222'
const MQTT_URL = process.env.MQTT_URL || 'mqtt://127.0.0.1:1883'
const TIMEOUT_MS = 2000

const HOW_TO_START = {
  PostgreSQL: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  Redis:
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
    '--dir /var/lib/redis --logfile /var/log/redis/ci.log',
  MariaDB: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  RabbitMQ: 'rabbitmq-server -detached',
  NATS:
    'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- ' +
    '-a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log',
  Mosquitto: 'mosquitto -d -c /etc/mosquitto/mosquitto.conf',
}

/** The URL with any password replaced, so the error never prints a secret. */
function redact(url) {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<unparsable URL>'
  }
}

function endpoint(url, defaultPort) {
  const parsed = new URL(url)
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1'
  return { host, port: Number(parsed.port) || defaultPort }
}

function probe(name, url, envVar, defaultPort) {
  return new Promise((resolve, reject) => {
    let target
    try {
      target = endpoint(url, defaultPort)
    } catch {
      reject(new Error(`${envVar} is not a valid URL: ${redact(url)}`))
      return
    }
    const socket = net.connect({ host: target.host, port: target.port })
    const fail = (why) => {
      socket.destroy()
      reject(
        new Error(
          `${name} is not reachable at ${redact(url)} (${why}). The integration tests need a running ${name}; ` +
            `set ${envVar} to point at one, or start it with:\n  ${HOW_TO_START[name]}`,
        ),
      )
    }
    socket.setTimeout(TIMEOUT_MS, () => fail(`no TCP connection within ${TIMEOUT_MS} ms`))
    socket.once('error', (err) => fail(err.code || err.message))
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
  })
}

module.exports = async function globalSetup() {
  const results = await Promise.allSettled([
    probe('PostgreSQL', PG_URL, 'PG_URL', 5432),
    probe('Redis', REDIS_URL, 'REDIS_URL', 6379),
    probe('MariaDB', MYSQL_URL, 'MYSQL_URL', 3306),
    probe('RabbitMQ', AMQP_URL, 'AMQP_URL', 5672),
    probe('NATS', NATS_URL, 'NATS_URL', 4222),
    probe('Mosquitto', MQTT_URL, 'MQTT_URL', 1883),
  ])
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message)
  if (errors.length > 0) throw new Error(errors.join('\n\n'))
}
