// The conformance servers that run in another runtime: `bun test/conformance/runtime-child.ts` or
// `deno run ... test/conformance/runtime-child.ts`, started by runtimes.ts. Checks are closures, so the
// health of a case cannot be sent over a pipe: the parent names the case, and this process builds the same
// health from the same table (cases.ts), serves it and runs the case's setup when told.
//
// Protocol: one JSON object per line. The parent writes `{ id, op, ... }` on stdin; this process answers
// `{ id, port }`, `{ id, maintenance }`, `{ id }` or `{ id, error }` on stdout, one line each:
// - `{ op: 'start', server: 'fetch' | 'hono', case: name }`: builds the case's health, serves it with
//   createFetchHandler (`fetch`) or the Hono middleware (`hono`) on 127.0.0.1, port 0; answers the port.
// - `{ op: 'setup', port }`: runs the case's `setup` on that server's health.
// - `{ op: 'maintenance', port }`: answers that health's maintenance state.
// - `{ op: 'close', port }`: stops that server and closes its health.
// The process ends when its stdin closes. Its clock is frozen at FROZEN_TIME like the parent's.
import { createInterface } from 'node:readline'
import type { Health } from '@healthgate/core'
import { createFetchHandler } from '@healthgate/core/fetch'
import { healthgate } from '@healthgate/hono'
import { Hono } from 'hono'
import { APP_BODY, APP_NOT_FOUND, APP_ROUTES, appResponse } from './app.js'
import { buildHealth, CASES, FROZEN_TIME, TOKEN } from './cases.js'

type FetchFunction = (request: Request, info: unknown) => Response | Promise<Response>
interface BunRuntime {
  serve(options: { port: number; hostname: string; fetch: FetchFunction }): {
    port: number
    requestIP(request: Request): { address: string } | null
    stop(closeActiveConnections?: boolean): Promise<void>
  }
}
interface DenoRuntime {
  serve(
    options: { port: number; hostname: string; onListen(): void },
    handler: FetchFunction,
  ): { addr: { port: number }; shutdown(): Promise<void> }
}
const { Bun, Deno } = globalThis as { Bun?: BunRuntime; Deno?: DenoRuntime }

freezeClock(Date.parse(FROZEN_TIME))

interface Served {
  health: Health
  setup: (() => Promise<void>) | undefined
  stop(): Promise<void>
}
const servers = new Map<number, Served>()

function start(server: 'fetch' | 'hono', name: string): number {
  const testCase = CASES.find((candidate) => candidate.name === name)
  if (!testCase) throw new Error(`no case named ${JSON.stringify(name)}`)
  const health = buildHealth(testCase.scenario ?? 'passing')
  const options = testCase.options ?? { adminToken: TOKEN }
  // Handlers read HEALTHGATE_ADMIN_TOKEN when they are created: only while this one is.
  Object.assign(process.env, testCase.env)
  let fetch: FetchFunction
  try {
    fetch = server === 'fetch' ? fetchServer(health, options) : honoServer(health, options)
  } finally {
    for (const variable of Object.keys(testCase.env ?? {})) delete process.env[variable]
  }
  const setup = testCase.setup && (() => testCase.setup?.(health) ?? Promise.resolve())
  const { port, stop } = listen(fetch)
  servers.set(port, { health, setup, stop })
  return port
}

/** A bare runtime server: the fetch handler, with the app's routes as its `next`. */
function fetchServer(health: Health, options: object): FetchFunction {
  const handle = createFetchHandler(health, options)
  return (request, info) =>
    handle(request, { remoteAddress: remoteAddress(request, info), next: () => appResponse(request) })
}

/** A Hono app: the middleware, then the app's routes, as a user would write it. */
function honoServer(health: Health, options: object): FetchFunction {
  const app = new Hono()
  app.use(healthgate(health, options))
  for (const route of APP_ROUTES) app.get(route, (c) => c.text(APP_BODY))
  app.notFound((c) => c.text(APP_NOT_FOUND, 404))
  return (request, info) => app.fetch(request, info)
}

function remoteAddress(request: Request, info: unknown): string | undefined {
  if (Bun) return (info as ReturnType<BunRuntime['serve']>).requestIP(request)?.address
  return (info as { remoteAddr: { hostname: string } }).remoteAddr.hostname
}

function listen(fetch: FetchFunction): { port: number; stop(): Promise<void> } {
  if (Bun) {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch })
    return { port: server.port, stop: () => server.stop(true) }
  }
  if (Deno) {
    const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, fetch)
    return { port: server.addr.port, stop: () => server.shutdown() }
  }
  throw new Error('runtime-child.ts runs under Bun or Deno')
}

async function run(message: { op: string; server?: 'fetch' | 'hono'; case?: string; port?: number }) {
  if (message.op === 'start') return { port: start(message.server ?? 'fetch', message.case ?? '') }
  const served = servers.get(message.port ?? 0)
  if (!served) throw new Error(`no server on port ${message.port}`)
  switch (message.op) {
    case 'setup':
      await served.setup?.()
      return {}
    case 'maintenance':
      return { maintenance: served.health.maintenance }
    case 'close':
      servers.delete(message.port ?? 0)
      await served.stop()
      await served.health.close()
      return {}
    default:
      throw new Error(`unknown op ${JSON.stringify(message.op)}`)
  }
}

/** Date and performance.now() stand still, as under the parent's fake clock: bodies match byte for byte. */
function freezeClock(now: number): void {
  const RealDate = Date
  class FrozenDate extends RealDate {
    constructor(...args: ConstructorParameters<typeof Date> | []) {
      if (args.length === 0) super(now)
      else super(...(args as ConstructorParameters<typeof Date>))
    }
    static override now(): number {
      return now
    }
  }
  globalThis.Date = FrozenDate as DateConstructor
  // timeOrigin + now() is the frozen instant, as the core turns monotonic times into dates that way.
  Object.defineProperty(performance, 'timeOrigin', { value: now, configurable: true })
  Object.defineProperty(performance, 'now', { value: () => 0, configurable: true })
}

for await (const line of createInterface({ input: process.stdin })) {
  const { id, ...message } = JSON.parse(line) as { id: number; op: string }
  run(message).then(
    (answer) => process.stdout.write(`${JSON.stringify({ id, ...answer })}\n`),
    (error: unknown) => process.stdout.write(`${JSON.stringify({ id, error: String(error) })}\n`),
  )
}
for (const served of servers.values()) await served.stop()
