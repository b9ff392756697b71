/**
 * The sample bodies in the READMEs and docs are what the code returns: each is rendered through the real
 * core handler, with the checks the sample names built by their real factories, and compared with the text
 * of the sample. A renamed measurement, a reordered key or a detail shown to anonymous callers fails here.
 * Needs no service: the PostgreSQL and Redis checks run against stand-ins for a pool and a client.
 */
import { readFileSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import { join } from 'node:path'
import {
  type CheckDefinition,
  type CheckOutcome,
  cpuCheck,
  createHandler,
  createHealth,
  diskCheck,
  eventLoopCheck,
  type Health,
  httpCheck,
  memoryCheck,
} from '@healthgate/core'
import type { HealthResponse } from '@healthgate/core/adapter'
import { pgCheck } from '@healthgate/pg'
import { redisCheck } from '@healthgate/redis'

const ROOT = join(__dirname, '..', '..')
const TOKEN = 'sample-docs-admin-t0ken'
const NO_CGROUP = join(ROOT, 'test', 'docs', 'no-cgroup')

interface Fence {
  lang: string
  text: string
}

/** The fenced blocks of a markdown file, in order. */
function fences(file: string): Fence[] {
  const markdown = readFileSync(join(ROOT, file), 'utf8')
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    lang: match[1] ?? '',
    text: match[2] ?? '',
  }))
}

/** The first block of `lang` after the first line containing `marker`. */
function blockAfter(file: string, marker: string, lang: string): string {
  const markdown = readFileSync(join(ROOT, file), 'utf8')
  const at = markdown.indexOf(marker)
  if (at < 0) throw new Error(`${file} no longer contains ${JSON.stringify(marker)}`)
  const block = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(markdown.slice(at))
  if (!block?.[1]) throw new Error(`${file}: no \`\`\`${lang} block after ${JSON.stringify(marker)}`)
  return block[1]
}

/** The body printed after `$ curl -s <url>` in a plain block. */
function curlBody(file: string): string {
  const fence = fences(file).find((block) => block.text.startsWith('$ curl -s '))
  if (!fence) throw new Error(`${file}: no \`$ curl -s\` sample`)
  return fence.text.split('\n')[1] ?? ''
}

/** A pg Pool as far as the check uses it: one idle connection that answers every query. */
function fakePool(connect: () => Promise<unknown> = async () => fakePoolClient()) {
  return { totalCount: 1, idleCount: 1, waitingCount: 0, options: { max: 10 }, connect } as never
}

function fakePoolClient() {
  return { query: async () => ({ rows: [] }), release: () => {}, on: () => {}, removeListener: () => {} }
}

function fakeRedis(status: string) {
  return { status, ping: async () => 'PONG' } as never
}

/** Each sample's checks by name, from the factory the sample shows. */
const FACTORIES: Record<string, () => CheckDefinition> = {
  memory: () => memoryCheck(),
  eventLoop: () => eventLoopCheck(),
  cpu: () => cpuCheck(),
  disk: () => diskCheck(),
  postgres: () => pgCheck({ pool: fakePool() }),
  redis: () => redisCheck({ client: fakeRedis('ready') }),
  payments: () => httpCheck({ name: 'payments', url: 'https://payments.internal/_ping', critical: false }),
  queue: () => ({ name: 'queue', timeoutMs: 500, check: async () => {} }),
}

/** The factory's definition with a run that passes at once: anonymous bodies show names and statuses only. */
function passing(name: string): CheckDefinition {
  const factory = FACTORIES[name]
  if (!factory) throw new Error(`a sample names a check this test cannot build: ${name}`)
  const definition = factory()
  return { ...definition, check: (): CheckOutcome | undefined => undefined }
}

/** The checks a body names, in its order (a check's first key is its primary measurement). */
function checksOf(body: { checks: Record<string, unknown> }): CheckDefinition[] {
  const names = [...new Set(Object.keys(body.checks).map((key) => key.slice(0, key.indexOf(':'))))]
  return names.map(passing)
}

const healths: Health[] = []
function track(health: Health): Health {
  healths.push(health)
  return health
}
afterEach(async () => {
  await Promise.all(healths.splice(0).map((health) => health.close()))
})

async function get(
  health: Health,
  url = '/health',
  headers: Record<string, string> = {},
): Promise<HealthResponse> {
  const answer = await createHandler(health, { adminToken: TOKEN }).handle({
    method: 'GET',
    url,
    headers: { 'user-agent': 'curl/7.88.1', ...headers },
    remoteAddress: '127.0.0.1',
  })
  if (!answer) throw new Error(`${url} was not answered`)
  return answer
}
const authorized = { authorization: `Bearer ${TOKEN}` }

/**
 * Renders an anonymous readiness body with the checks the sample names, all passing; `output:
 * "maintenance"` in the sample puts the health in maintenance first.
 */
async function renderAnonymous(sample: {
  output?: string
  checks: Record<string, unknown>
}): Promise<HealthResponse> {
  const health = track(createHealth({ checks: checksOf(sample) }))
  if (sample.output === 'maintenance') await health.enterMaintenance('deploy 1.4.2')
  else if (sample.output !== undefined) throw new Error(`no way to render output ${sample.output}`)
  return get(health)
}

/** A sample's status line and headers (`name: value`, lower-case names) against the answer. */
function expectHead([statusLine, ...headerLines]: string[], answer: HealthResponse): void {
  expect(statusLine).toBe(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}`)
  expect(headerLines.length).toBeGreaterThan(0)
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon)
    expect({ [name]: answer.headers[name] }).toEqual({ [name]: line.slice(colon + 1).trim() })
  }
}

/**
 * A detailed body with what varies from run to run taken out: times, numeric observed values and, with
 * `outputs: false`, the outputs. Key order stays: the comparison is of the serialised text.
 */
function shape(body: unknown, { outputs }: { outputs: boolean }): string {
  const mask = (value: unknown, key?: string): unknown => {
    if (typeof value === 'number' && key === 'observedValue') return '<number>'
    if (key === 'time' || key === 'since' || key === 'lastSeen') return '<time>'
    if (key === 'output' && !outputs) return '<text>'
    if (Array.isArray(value)) return value.map((item) => mask(item))
    if (value !== null && typeof value === 'object') {
      const masked: Record<string, unknown> = {}
      for (const [name, inner] of Object.entries(value)) {
        masked[name] = key === 'observedValue' ? mask(inner, 'observedValue') : mask(inner, name)
      }
      return masked
    }
    return value
  }
  return JSON.stringify(mask(body), null, 2)
}

describe('README.md', () => {
  const samples = fences('README.md').filter((fence) => fence.lang === 'http')

  it('shows a 200 and a 503 sample', () => {
    expect(samples.map((sample) => sample.text.split('\n')[0])).toEqual([
      'HTTP/1.1 200 OK',
      'HTTP/1.1 503 Service Unavailable',
    ])
  })

  it.each(samples.map((sample) => [sample.text.split('\n')[0], sample.text]))(
    '%s: status line, headers and body as the core sends them',
    async (_statusLine, text) => {
      const [head = '', body = ''] = text.split('\n\n')
      const [statusLine = '', ...headerLines] = head.split('\n')
      const answer = await renderAnonymous(JSON.parse(body))

      expectHead([statusLine, ...headerLines], answer)
      expect(body.trim()).toBe(answer.body)
    },
  )
})

describe('docs/http.md', () => {
  const FILE = 'docs/http.md'

  it.each([
    ['**200, anonymous**', 200],
    ['**503 in maintenance, anonymous**', 503],
  ])('%s: headers and body', async (marker, status) => {
    const sample = blockAfter(FILE, marker, 'json')
    const answer = await renderAnonymous(JSON.parse(sample))
    expect(answer.status).toBe(status)
    expect(JSON.stringify(JSON.parse(sample))).toBe(answer.body)

    expectHead(blockAfter(FILE, marker, 'http').trim().split('\n'), answer)
  })

  it('**200, authorized**: the keys, units and key order of the demo checks', async () => {
    const sample = JSON.parse(blockAfter(FILE, '**200, authorized**', 'json'))
    // The thresholds are off so that a busy machine still passes; no memory limit known, as in the sample.
    const health = track(
      createHealth({
        version: sample.version,
        serviceId: sample.serviceId,
        checks: [
          memoryCheck({ cgroupRoot: NO_CGROUP }),
          eventLoopCheck({ maxDelayP99Ms: false, maxUtilization: false }),
          cpuCheck({ maxProcessCpu: false, maxLoadPerCore: false }),
          diskCheck({ minFreeRatio: false }),
        ],
      }),
    )
    const answer = await get(health, '/health', authorized)
    expect(answer.status).toBe(200)
    expect(shape(JSON.parse(answer.body), { outputs: false })).toBe(shape(sample, { outputs: false }))
  })

  it('the authorized 503 adds the maintenance note', async () => {
    const health = track(createHealth({ checks: [passing('memory')] }))
    await health.enterMaintenance('deploy 1.4.2')
    const body = JSON.parse((await get(health, '/health', authorized)).body)
    expect(body.notes).toEqual([expect.stringMatching(/^maintenance since \S+ \(memory\): deploy 1\.4\.2$/)])
    expect(readFileSync(join(ROOT, FILE), 'utf8')).toContain(
      '`"notes": ["maintenance since <time> (memory): deploy 1.4.2"]`',
    )
  })

  it.each([
    [FILE, 'after two readiness requests from\na kubelet'],
    [FILE, 'The state:'],
    ['docs/deploy.md', '`GET /health/maintenance` (with the admin token) shows it'],
  ])('%s: the maintenance state (%#)', async (file, marker) => {
    const sample = JSON.parse(blockAfter(file, marker, 'json'))
    const health = track(createHealth({ checks: [passing('memory')] }))
    // The sample's probers, in the order of their times: each polled readiness before (a prober that never
    // saw the instance healthy does not hold up the drain), then once per 503 it has seen.
    const probers = [...(sample.probers as { id: string; consecutive503: number; lastSeen: string }[])]
    probers.sort((a, b) => a.lastSeen.localeCompare(b.lastSeen))
    const probe = async (id: string, status: number) => {
      const [address = '', userAgent = ''] = id.split(' ')
      const answer = await createHandler(health, { adminToken: TOKEN }).handle({
        method: 'GET',
        url: '/health',
        headers: { 'user-agent': userAgent },
        remoteAddress: address,
      })
      expect(answer?.status).toBe(status)
    }
    for (const { id } of probers) await probe(id, 200)
    await health.enterMaintenance(sample.reason)
    for (const { id, consecutive503 } of probers) {
      for (let seen = 0; seen < consecutive503; seen++) await probe(id, 503)
    }
    // The one-off requests the sample counts (curl): never balancers.
    for (let i = 0; i < sample.unconfirmed; i++) await probe(`10.9.9.${i} curl/8.5.0`, 503)
    const state = JSON.parse((await get(health, '/health/maintenance', authorized)).body)
    // Intervals are the sample balancers' (seconds), not this test's (milliseconds).
    const interval = (body: { probers: { intervalMs?: number }[] }) => {
      for (const prober of body.probers) prober.intervalMs = 0
      return body
    }
    expect(shape(interval(state), { outputs: true })).toBe(shape(interval(sample), { outputs: true }))
  })
})

describe('package READMEs', () => {
  it.each([['packages/core/README.md'], ['packages/pg/README.md'], ['packages/redis/README.md']])(
    '%s: the anonymous `curl -s` body',
    async (file) => {
      const sample = curlBody(file)
      const answer = await renderAnonymous(JSON.parse(sample))
      expect(answer.status).toBe(200)
      expect(sample).toBe(answer.body)
    },
  )

  it('packages/pg/README.md: the authorized 200 with a pool', async () => {
    const sample = JSON.parse(blockAfter('packages/pg/README.md', 'With the admin token', 'json'))
    const health = track(createHealth({ checks: [pgCheck({ pool: fakePool() })] }))
    const answer = await get(health, '/health', authorized)
    expect(answer.status).toBe(200)
    expect(shape(JSON.parse(answer.body), { outputs: true })).toBe(shape(sample, { outputs: true }))
  })

  it('packages/pg/README.md: the 503 of a database that does not exist', async () => {
    const sample = JSON.parse(blockAfter('packages/pg/README.md', 'and why a check failed', 'json'))
    const missing = Object.assign(new Error('database "orders" does not exist'), { code: '3D000' })
    const pool = fakePool(() => Promise.reject(missing))
    const health = track(createHealth({ checks: [pgCheck({ pool }, { name: 'orders-db' })] }))
    const answer = await get(health, '/health', authorized)
    expect(answer.status).toBe(503)
    expect(shape(JSON.parse(answer.body), { outputs: true })).toBe(shape(sample, { outputs: true }))
  })

  it('packages/redis/README.md: the 503 while ioredis reconnects', async () => {
    const sample = JSON.parse(blockAfter('packages/redis/README.md', 'Redis down', 'json'))
    const health = track(createHealth({ checks: [redisCheck({ client: fakeRedis('reconnecting') })] }))
    const answer = await get(health, '/health', authorized)
    expect(answer.status).toBe(503)
    expect(shape(JSON.parse(answer.body), { outputs: true })).toBe(shape(sample, { outputs: true }))
  })
})
