// The Node side of the failover scenario (./scenario.ts): real healthgate servers for the primary and
// the secondary, a health route without CORS headers, and the control server that serves the page, the
// bundle and the scenario's settings, and turns endpoints healthy or unhealthy through maintenance.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHealth, createNodeListener, type Health } from '@healthgate/core'
import type { PhaseName, ScenarioConfig } from './scenario.js'

/** One request the health servers answered, or one toggle, in the order the Node process saw them. */
export type LogEntry =
  | { kind: 'probe'; server: string; method: string; status: number; at: number }
  | { kind: 'toggle'; phase: PhaseName; server: string; healthy: boolean; at: number }

export interface Harness {
  /** The origin of the control server; the page is `${controlUrl}/`. */
  readonly controlUrl: string
  readonly config: ScenarioConfig
  readonly log: LogEntry[]
  /** What `GET /` and `GET /scenario.js` of the control server serve (for the browser). */
  servePage(page: { html: string; script: string }): void
  /** Turns an endpoint unhealthy (maintenance: its readiness answers 503) or healthy again. */
  setHealthy(name: string, healthy: boolean): Promise<void>
  close(): Promise<void>
}

/**
 * Generous for a busy machine: a probe answers on loopback in about a millisecond; only a probe that takes
 * `timeoutMs` would count as a failure of a healthy endpoint.
 */
export const SCENARIO_TIMING = {
  intervalMs: 750,
  timeoutMs: 600,
  failureThreshold: 3,
  successThreshold: 2,
  waitLimitMs: 15_000,
} as const

/** Starts the servers on loopback ports. */
export async function startHarness(): Promise<Harness> {
  let page: { html: string; script: string } | undefined
  const log: LogEntry[] = []
  const servers: Server[] = []
  const healths = new Map<string, Health>()

  const healthServer = async (name: string, cors: boolean) => {
    const health = createHealth()
    healths.set(name, health)
    const listener = createNodeListener(health)
    const server = createServer((request, response) => {
      // What a browser needs to read the answer of a cross-origin health probe: HEAD and GET without
      // custom headers are simple requests (no preflight), so this one header is all.
      if (cors) response.setHeader('access-control-allow-origin', '*')
      response.once('finish', () =>
        log.push({
          kind: 'probe',
          server: name,
          method: request.method ?? '',
          status: response.statusCode,
          at: Date.now(),
        }),
      )
      listener(request, response)
    })
    const port = await listen(server)
    servers.push(server)
    return { health, url: `http://127.0.0.1:${port}` }
  }

  const primary = await healthServer('primary', true)
  const secondary = await healthServer('secondary', true)
  const noCors = await healthServer('no-cors', false)
  const config: ScenarioConfig = {
    endpoints: [
      { name: 'primary', healthUrl: `${primary.url}/health/ready`, connectUrl: `ws://primary.test/` },
      { name: 'secondary', healthUrl: `${secondary.url}/health/ready`, connectUrl: `ws://secondary.test/` },
    ],
    noCorsUrl: `${noCors.url}/health/ready`,
    ...SCENARIO_TIMING,
  }

  const control = createServer((request, response) => {
    void answerControl(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  })
  const answerControl = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://control')
    if (request.method === 'GET' && url.pathname === '/config') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config))
    } else if (request.method === 'POST' && url.pathname === '/set') {
      const name = url.searchParams.get('name') ?? ''
      const health = healths.get(name)
      if (!health) {
        response.writeHead(404).end()
        return
      }
      const healthy = url.searchParams.get('healthy') === 'true'
      await setHealthy(health, healthy)
      const phase = url.searchParams.get('phase') as PhaseName
      log.push({ kind: 'toggle', phase, server: name, healthy, at: Date.now() })
      response.writeHead(204).end()
    } else if (request.method === 'GET' && page && url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page.html)
    } else if (request.method === 'GET' && page && url.pathname === '/scenario.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(page.script)
    } else {
      response.writeHead(404).end()
    }
  }
  const setHealthy = (health: Health, healthy: boolean) =>
    healthy ? health.leaveMaintenance() : health.enterMaintenance('failover scenario')
  const controlPort = await listen(control)
  servers.push(control)

  return {
    controlUrl: `http://127.0.0.1:${controlPort}`,
    config,
    log,
    servePage: (served) => {
      page = served
    },
    setHealthy: async (name, healthy) => {
      const health = healths.get(name)
      if (!health) throw new Error(`no server ${name}`)
      await setHealthy(health, healthy)
    },
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve())
              server.closeAllConnections()
            }),
        ),
      )
      await Promise.all([...healths.values()].map((health) => health.close()))
    },
  }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return (server.address() as AddressInfo).port
}
