/**
 * One table of HTTP cases, run against every way of serving healthgate: Express 5, Express 4, Fastify 5,
 * the core's node:http listener, Hono on Node, the fast path (attachHealth) on Express 5, Express 4 and
 * Fastify, and Nest on its Express and Fastify platforms, in this process; createFetchHandler on Bun.serve and
 * Deno.serve and Hono on both, in real Bun and Deno child processes (runtimes.ts); each on a real socket.
 * Every server must answer every case with the same status, the same contract headers and byte-identical
 * bodies, and what they answer must be what the contract says (the expected bodies in cases.ts are written
 * out from it, not recorded).
 */
import type { HandlerOptions, MaintenanceState } from '@healthgate/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import Fastify from 'fastify'
import { type Reply, request } from '../support/http.js'
import { buildHealth, CASES, type Case, FROZEN_TIME, SECRET, TOKEN } from './cases.js'
import { closeRuntimes, RUNTIME_KINDS, type RuntimeKind, startRuntimeServer } from './runtimes.js'
import { APP_BODY, APP_NOT_FOUND, SERVER_KINDS, type ServerKind, startServer } from './servers.js'

type Kind = ServerKind | RuntimeKind
const ALL_KINDS: readonly Kind[] = [...SERVER_KINDS, ...RUNTIME_KINDS]

const CONTRACT_HEADERS = [
  'content-type',
  'cache-control',
  'retry-after',
  'allow',
  'www-authenticate',
  'content-length',
]
const HEALTH_JSON = 'application/health+json; charset=utf-8'
const PLAIN_JSON = 'application/json; charset=utf-8'
/**
 * Fastify routes the QUERY method since 5.11; before that (the lowest-versions run uses 5.0) it sends a
 * QUERY to the app's not-found handler on every path, before any plugin sees it.
 */
const FASTIFY_ROUTES_QUERY = Fastify().supportedMethods.includes('QUERY')
/** The same for the Fastify that Nest's platform brings (its own dependency, or the lowest one in that run). */
const NEST_FASTIFY_ROUTES_QUERY = new FastifyAdapter().getInstance().supportedMethods.includes('QUERY')
const ROUTES_QUERY: Partial<Record<Kind, boolean>> = {
  fastify: FASTIFY_ROUTES_QUERY,
  'nest-fastify': NEST_FASTIFY_ROUTES_QUERY,
}

interface Outcome {
  kind: Kind
  response: Reply
  /** For HEAD cases: what the same request as GET gets from a twin server in the same state. */
  asGet?: Reply
  maintenanceBefore: MaintenanceState
  maintenanceAfter: MaintenanceState
}

const savedToken = process.env.HEALTHGATE_ADMIN_TOKEN
beforeAll(() => {
  delete process.env.HEALTHGATE_ADMIN_TOKEN
})
afterAll(async () => {
  await closeRuntimes()
  if (savedToken !== undefined) process.env.HEALTHGATE_ADMIN_TOKEN = savedToken
})

beforeEach(() => {
  // Only the clock is frozen (timers stay real): check times, `since` and `lastSeen` are then the same
  // on every server, and durations are 0 ms.
  jest.useFakeTimers({
    now: new Date(FROZEN_TIME),
    doNotFake: [
      'hrtime',
      'nextTick',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  })
})
afterEach(() => {
  jest.useRealTimers()
})

/** A server of the suite, in this process or in a Bun or Deno child, with a way to reach its health. */
interface CaseServer {
  kind: Kind
  port: number
  setup(): Promise<void>
  maintenance(): Promise<MaintenanceState>
  close(): Promise<void>
}

async function startLocal(kind: ServerKind, testCase: Case, options: HandlerOptions): Promise<CaseServer> {
  const health = buildHealth(testCase.scenario ?? 'passing')
  try {
    const server = await startServer(kind, health, options)
    return {
      kind,
      port: server.port,
      setup: async () => testCase.setup?.(health),
      maintenance: async () => health.maintenance,
      close: async () => {
        await server.close()
        await health.close()
      },
    }
  } catch (error) {
    await health.close()
    throw error
  }
}

async function runOnAllServers(testCase: Case): Promise<Outcome[]> {
  const options = testCase.options ?? { adminToken: TOKEN }
  // Handlers read HEALTHGATE_ADMIN_TOKEN when they are created: only while the servers start. The runtime
  // children take it from the case themselves.
  Object.assign(process.env, testCase.env)
  const started = await Promise.allSettled([
    ...SERVER_KINDS.map((kind) => startLocal(kind, testCase, options)),
    ...RUNTIME_KINDS.map((kind) => startRuntimeServer(kind, testCase.name)),
  ])
  for (const name of Object.keys(testCase.env ?? {})) delete process.env[name]
  try {
    const servers = started.map((result) => {
      if (result.status === 'rejected') throw result.reason
      return result.value
    })
    return await Promise.all(
      servers.map(async (server): Promise<Outcome> => {
        await server.setup()
        for (const before of testCase.before ?? []) await request(server.port, before.path, before)
        const maintenanceBefore = await server.maintenance()
        const response = await request(server.port, testCase.request.path, testCase.request)
        const maintenanceAfter = await server.maintenance()
        return { kind: server.kind, response, maintenanceBefore, maintenanceAfter }
      }),
    )
  } finally {
    await Promise.all(
      started.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)),
    )
  }
}

function contractHeaders(response: Reply): Record<string, string | undefined> {
  return Object.fromEntries(
    CONTRACT_HEADERS.map((name) => [name, response.headers[name] as string | undefined]),
  )
}

function expectedHeaders(testCase: Case, body: string): Record<string, string | undefined> {
  const { expect: expected } = testCase
  if (expected.kind === 'app') throw new Error('app answers have no contract headers')
  return {
    'content-type': expected.kind === 'health' ? HEALTH_JSON : PLAIN_JSON,
    'cache-control': 'no-store',
    'retry-after': expected.kind === 'health' ? expected.retryAfter : undefined,
    allow: expected.kind === 'json' ? expected.allow : undefined,
    'www-authenticate':
      expected.kind === 'json' && expected.wwwAuthenticate ? 'Bearer realm="healthgate"' : undefined,
    'content-length': String(Buffer.byteLength(body)),
  }
}

/** Nothing a health answer shows may carry a secret or a stack frame, whatever the details mode. */
function expectNoLeak(kind: Kind, body: string): void {
  expect({ kind, leaksSecret: body.includes(SECRET) || body.includes('app:') }).toEqual({
    kind,
    leaksSecret: false,
  })
  expect({ kind, stackFrame: /\bat .+:\d+:\d+|node_modules|\.test\.ts/.test(body) }).toEqual({
    kind,
    stackFrame: false,
  })
}

describe.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
  it(`answers alike on ${ALL_KINDS.join(', ')}`, async () => {
    let outcomes = await runOnAllServers(testCase)
    if (testCase.request.method === 'QUERY') {
      const unrouted = outcomes.filter((outcome) => ROUTES_QUERY[outcome.kind] === false)
      for (const { kind, response } of unrouted) {
        expect({ kind, reply: [response.status, response.body] }).toEqual({
          kind,
          reply: [404, APP_NOT_FOUND],
        })
      }
      outcomes = outcomes.filter((outcome) => !unrouted.includes(outcome))
    }
    if (testCase.request.method === 'HEAD') {
      // A twin run, not a second request: a request can change what the next one sees (startup completes).
      const twins = await runOnAllServers({ ...testCase, request: { ...testCase.request, method: 'GET' } })
      outcomes.forEach((outcome, index) => {
        outcome.asGet = twins[index]?.response
      })
    }
    const { expect: expected } = testCase
    const isHead = testCase.request.method === 'HEAD'

    for (const { kind, response, asGet, maintenanceBefore, maintenanceAfter } of outcomes) {
      expect({ kind, status: response.status }).toEqual({ kind, status: expected.status })

      if (expected.kind === 'app') {
        expect({ kind, body: response.body }).toEqual({
          kind,
          body: expected.status === 200 ? APP_BODY : APP_NOT_FOUND,
        })
        continue
      }

      // The representation: the body itself, or for HEAD the body a GET gets.
      const representation = isHead ? (asGet?.body ?? '') : response.body
      if (isHead) {
        expect({ kind, headBody: response.body }).toEqual({ kind, headBody: '' })
        expect({ kind, getStatus: asGet?.status }).toEqual({ kind, getStatus: expected.status })
      }
      expect({ kind, body: JSON.parse(representation) }).toEqual({ kind, body: expected.body })
      expect({ kind, headers: contractHeaders(response) }).toEqual({
        kind,
        headers: expectedHeaders(testCase, representation),
      })
      expectNoLeak(kind, representation)
      if (expected.closesConnection) {
        expect({ kind, connection: response.headers.connection }).toEqual({ kind, connection: 'close' })
      }

      if (expected.maintenance === 'unchanged') {
        expect({ kind, maintenance: maintenanceAfter }).toEqual({ kind, maintenance: maintenanceBefore })
      } else if (expected.maintenance) {
        const actual: Record<string, unknown> = { ...maintenanceAfter }
        const picked = Object.fromEntries(
          Object.keys(expected.maintenance).map((name) => [name, actual[name]]),
        )
        expect({ kind, maintenance: picked }).toEqual({ kind, maintenance: expected.maintenance })
      }
    }

    // Across servers: identical status, contract headers and bytes.
    const [first, ...others] = outcomes
    if (!first) throw new Error('no server ran')
    for (const other of others) {
      expect({ kind: other.kind, status: other.response.status }).toEqual({
        kind: other.kind,
        status: first.response.status,
      })
      expect({ kind: other.kind, body: other.response.body }).toEqual({
        kind: other.kind,
        body: first.response.body,
      })
      if (expected.kind !== 'app') {
        expect({ kind: other.kind, headers: contractHeaders(other.response) }).toEqual({
          kind: other.kind,
          headers: contractHeaders(first.response),
        })
      }
      if (isHead) {
        expect({ kind: other.kind, getBody: other.asGet?.body }).toEqual({
          kind: other.kind,
          getBody: first.asGet?.body,
        })
      }
    }
  })
})
