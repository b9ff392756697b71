// One benchmark server per process, so that the load generator never shares an event loop with it.
// Started by bench/run.mjs with `fork(server.mjs, [variant])`; reports `{ type: 'ready', port }` over IPC,
// answers `{ type: 'stop' }` with `{ type: 'stopped', served }` after closing its server and clients.
import http from 'node:http'

const PG_URL = process.env.PG_URL || 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const PATH = '/health'
// Set by bench/run.mjs when it counts instructions: a cache that outlives the measurement, so that the
// count is of cached requests alone (under valgrind a check's run per TTL is shared by ~50 times fewer).
const CACHE_TTL_MS = process.env.BENCH_CACHE_TTL_MS ? Number(process.env.BENCH_CACHE_TTL_MS) : undefined
const JSON_BODY = JSON.stringify({
  status: 'pass',
  checks: {
    'postgres:responseTime': [{ status: 'pass' }],
    'redis:responseTime': [{ status: 'pass' }],
    'memory:heapUtilization': [{ status: 'pass' }],
  },
})
const JSON_HEADERS = {
  'content-type': 'application/health+json; charset=utf-8',
  'cache-control': 'no-store',
  'content-length': String(Buffer.byteLength(JSON_BODY)),
}

/** Each variant resolves `{ server, listen(), close() }`; `close()` also releases the variant's clients. */
const variants = {
  'express-bare': async () => {
    const { default: express } = await import('express')
    const app = express()
    app.get(PATH, (_req, res) => {
      res.send('OK')
    })
    return nodeServer(http.createServer(app))
  },

  'fastify-bare': async () => {
    const { default: Fastify } = await import('fastify')
    const app = Fastify()
    app.get(PATH, async () => 'OK')
    return fastifyServer(app)
  },

  // Reference routes, not run by default: a bare route sending what healthgate's anonymous readiness answer
  // carries (the same body and headers), to tell the cost of the answer from the cost of producing it.
  'fastify-bare-json': async () => {
    const { default: Fastify } = await import('fastify')
    const app = Fastify()
    // The cheapest way Fastify offers to send it (measured): no promise, Content-Type by `type()`, and a
    // serializer that passes the finished body on (as the plugin does).
    app.get(PATH, (_request, reply) => {
      reply
        .type(JSON_HEADERS['content-type'])
        .header('cache-control', 'no-store')
        .serializer(asIs)
        .send(JSON_BODY)
    })
    return fastifyServer(app)
  },

  'express-bare-json': async () => {
    const { default: express } = await import('express')
    const app = express()
    // What healthgate's Express adapter does with an answer: the headers and body as they are, no ETag.
    app.get(PATH, (_req, res) => {
      res.writeHead(200, JSON_HEADERS)
      res.end(JSON_BODY)
    })
    return nodeServer(http.createServer(app))
  },

  'node-bare-json': async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === PATH ? 200 : 404, JSON_HEADERS)
      res.end(JSON_BODY)
    })
    return nodeServer(server)
  },

  'node-bare': async () => {
    const server = http.createServer(bareListener)
    return nodeServer(server)
  },

  // The bare routes again, in a process that also holds what healthgate's holds: the pg Pool and the ioredis
  // client, connected, and healthgate's checks run as often as its route would run them, without the route. Merely
  // having used those clients makes Node's own stream and event code slower per request (its call sites
  // have seen more kinds of objects), so this is the limit healthgate's route is compared with.
  'express-bare-clients': async () => {
    const { default: express } = await import('express')
    const background = await backgroundHealth()
    const app = express()
    app.get(PATH, (_req, res) => {
      res.send('OK')
    })
    return nodeServer(http.createServer(app), background.close)
  },

  'fastify-bare-clients': async () => {
    const { default: Fastify } = await import('fastify')
    const background = await backgroundHealth()
    const app = Fastify()
    app.get(PATH, async () => 'OK')
    return fastifyServer(app, background.close)
  },

  'node-bare-clients': async () => {
    const background = await backgroundHealth()
    const server = http.createServer(bareListener)
    return nodeServer(server, background.close)
  },

  'express-healthgate': async () => {
    const { default: express } = await import('express')
    const { healthRouter } = await import('@healthgate/express')
    const deps = await dependencies()
    const health = await createDependencyHealth(deps)
    const app = express()
    app.use(healthRouter(health))
    return nodeServer(http.createServer(app), () => closeAll(health, deps))
  },

  'fastify-healthgate': async () => {
    const { default: Fastify } = await import('fastify')
    const { default: healthgate } = await import('@healthgate/fastify')
    const deps = await dependencies()
    const health = await createDependencyHealth(deps)
    const app = Fastify()
    await app.register(healthgate, { health })
    return fastifyServer(app, () => closeAll(health, deps))
  },

  'node-healthgate': async () => {
    const { createNodeListener } = await import('@healthgate/core')
    const deps = await dependencies()
    const health = await createDependencyHealth(deps)
    return nodeServer(http.createServer(createNodeListener(health)), () => closeAll(health, deps))
  },

  // Reference variants, not run by default: healthgate with checks that do no I/O, to tell the route's own
  // cost from the dependencies'.
  'node-healthgate-noop': async () => {
    const { createNodeListener } = await import('@healthgate/core')
    const health = await noopHealth()
    return nodeServer(http.createServer(createNodeListener(health)), () => health.close())
  },

  'fastify-healthgate-noop': async () => {
    const { default: Fastify } = await import('fastify')
    const { default: healthgate } = await import('@healthgate/fastify')
    const health = await noopHealth()
    const app = Fastify()
    await app.register(healthgate, { health })
    return fastifyServer(app)
  },

  // The fast path (attachHealth; the Fastify plugin's `fastPath`), see bench/fastpath.mjs: the health routes
  // answered on the server before the framework's listener, with the real checks and with no-I/O ones.
  'express-healthgate-fast': async () => {
    const deps = await dependencies()
    return expressFastPath(await createDependencyHealth(deps), () => closeAll(undefined, deps))
  },

  'express-healthgate-fast-noop': async () => expressFastPath(await noopHealth()),

  'express-healthgate-noop': async () => {
    const { default: express } = await import('express')
    const { healthRouter } = await import('@healthgate/express')
    const health = await noopHealth()
    const app = express()
    app.use(healthRouter(health))
    return nodeServer(http.createServer(app), () => health.close())
  },

  'fastify-healthgate-fast': async () => {
    const deps = await dependencies()
    return fastifyFastPath(await createDependencyHealth(deps), () => closeAll(undefined, deps))
  },

  'fastify-healthgate-fast-noop': async () => fastifyFastPath(await noopHealth()),

  'express-terminus': async () => {
    const { default: express } = await import('express')
    const { createTerminus } = await import('@godaddy/terminus')
    const deps = await dependencies()
    const app = express()
    const server = http.createServer(app)
    createTerminus(server, {
      healthChecks: {
        [PATH]: async () => {
          await deps.pool.query('SELECT 1')
          await deps.redis.ping()
        },
      },
      // The bench stops the server itself; no signal handlers in the measured process.
      signals: [],
      logger: () => {},
    })
    return nodeServer(server, () => closeAll(undefined, deps))
  },

  'fastify-under-pressure': async () => {
    const { default: Fastify } = await import('fastify')
    const { default: underPressure } = await import('@fastify/under-pressure')
    const deps = await dependencies()
    const app = Fastify()
    await app.register(underPressure, {
      healthCheck: async () => {
        await deps.pool.query('SELECT 1')
        await deps.redis.ping()
        return true
      },
      exposeStatusRoute: PATH,
    })
    return fastifyServer(app, () => closeAll(undefined, deps))
  },
}

const HOST = '127.0.0.1'

const asIs = (payload) => payload

/** The node:http bare route: "OK" on the health path, an empty 404 elsewhere. */
function bareListener(req, res) {
  if (req.url === PATH) {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '2' })
    res.end('OK')
  } else {
    res.writeHead(404, { 'content-length': '0' })
    res.end()
  }
}

function nodeServer(server, cleanup) {
  return {
    server,
    listen: () => new Promise((resolve) => server.listen({ port: 0, host: HOST, backlog: 1024 }, resolve)),
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await cleanup?.()
    },
  }
}

async function fastifyServer(app, cleanup) {
  await app.ready()
  // Fastify owns its node:http server; listening through it keeps its own bookkeeping right.
  return {
    server: app.server,
    listen: () => app.listen({ port: 0, host: HOST, backlog: 1024 }),
    close: async () => {
      app.server.closeAllConnections()
      await app.close()
      await cleanup?.()
    },
  }
}

/** Express with an app route, and healthgate attached to its server (the health closes with it). */
async function expressFastPath(health, cleanup) {
  const { default: express } = await import('express')
  const { attachHealth } = await import('@healthgate/express')
  const app = express()
  app.get('/', (_req, res) => {
    res.send('app')
  })
  const server = http.createServer(app)
  attachHealth(server, health)
  return nodeServer(server, async () => {
    await health.close()
    await cleanup?.()
  })
}

async function fastifyFastPath(health, cleanup) {
  const { default: Fastify } = await import('fastify')
  const { default: healthgate } = await import('@healthgate/fastify')
  const app = Fastify()
  await app.register(healthgate, { health, fastPath: true })
  app.get('/', async () => 'app')
  return fastifyServer(app, cleanup)
}

async function dependencies() {
  const { default: pg } = await import('pg')
  const { Redis } = await import('ioredis')
  const pool = new pg.Pool({ connectionString: PG_URL })
  // A dead PostgreSQL must surface as a failed check, not as an unhandled 'error' event.
  pool.on('error', () => {})
  const redis = new Redis(REDIS_URL, { lazyConnect: true })
  redis.on('error', () => {})
  await redis.connect()
  return { pool, redis }
}

async function createDependencyHealth({ pool, redis }) {
  const core = await import('@healthgate/core')
  const { pgCheck } = await import('@healthgate/pg')
  const { redisCheck } = await import('@healthgate/redis')
  if (typeof core.memoryCheck !== 'function') throw new Error('@healthgate/core does not export memoryCheck')
  return core.createHealth({
    checks: [pgCheck({ pool }), redisCheck({ client: redis }), core.memoryCheck()],
    defaultCacheTtlMs: CACHE_TTL_MS,
  })
}

/**
 * healthgate's checks with their clients, served by no route: run once (what the first health request does in
 * the healthgate variants), then once per cache TTL, as a route under load runs them.
 */
async function backgroundHealth() {
  const deps = await dependencies()
  const health = await createDependencyHealth(deps)
  await health.evaluate()
  const timer = setInterval(() => {
    health.evaluate().catch(() => {})
  }, CACHE_TTL_MS ?? 1000)
  return {
    close: () => {
      clearInterval(timer)
      return closeAll(health, deps)
    },
  }
}

async function noopHealth() {
  const core = await import('@healthgate/core')
  // Named and measured like the real checks, so that the answer is the same 158 bytes.
  const checks = [
    ['postgres', 'responseTime'],
    ['redis', 'responseTime'],
    ['memory', 'heapUtilization'],
  ].map(([name, measurement]) => core.defineCheck(name, () => {}, { measurement }))
  return core.createHealth({ checks, defaultCacheTtlMs: CACHE_TTL_MS })
}

async function closeAll(health, { pool, redis }) {
  await health?.close()
  await pool.end()
  await redis.quit().catch(() => redis.disconnect())
}

async function main() {
  const name = process.argv[2]
  const create = variants[name]
  if (!create)
    throw new Error(`Unknown variant "${name}"; expected one of ${Object.keys(variants).join(', ')}`)
  const built = await create()
  const { server } = built
  let served = 0
  // Counted where Node hands the server a request, before any listener: terminus replaces the existing
  // listeners, and the fast path (attachHealth) keeps a health request from every listener behind it.
  const emit = server.emit
  server.emit = function countRequests(event) {
    if (event === 'request') served++
    // biome-ignore lint/complexity/noArguments: forwards whatever the event carries, without a rest array
    return Reflect.apply(emit, this, arguments)
  }
  await built.listen()
  // CPU time from here on is the cost of serving, without start-up (module loading, connecting).
  const cpuAtReady = process.cpuUsage()
  process.send({ type: 'ready', port: server.address().port })

  // The runner went away (interrupted): nobody will ever ask this server to stop.
  process.on('disconnect', () => process.exit(0))
  process.on('message', async (message) => {
    if (message?.type !== 'stop') return
    const cpu = process.cpuUsage(cpuAtReady)
    const cpuMicros = cpu.user + cpu.system
    // Bounded: a client hung on a black-holed dependency keeps some pools from ending gracefully.
    await Promise.race([built.close(), new Promise((resolve) => setTimeout(resolve, 1500))])
    process.send({ type: 'stopped', served, cpuMicros }, () => process.exit(0))
  })
}

main().catch((error) => {
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  process.exitCode = 1
  process.disconnect?.()
})
