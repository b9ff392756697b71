import { pollUntil } from '@healthgate/core/primitives'
import { type Child, type ChildSample, startChild } from './support/child.js'

const TOTAL = 200_000
const CHECKPOINT = 50_000
const CONCURRENCY = 32
const MAX_HEAP_GROWTH = 10 * 1024 * 1024
const MIB = 1024 * 1024

interface GetResult {
  statuses: Record<string, number>
  errors: number
  ms: number
}

let server: Child | undefined
let client: Child | undefined

afterEach(async () => {
  await Promise.all([client?.stop(), server?.stop()])
  client = undefined
  server = undefined
})

/** Samples until the server holds no connection any more (the client's sockets close asynchronously). */
async function sampleWhenIdle(child: Child): Promise<ChildSample> {
  const polled = await pollUntil(
    () => child.call<ChildSample>({ type: 'sample' }),
    (sample) => sample.connections === 0,
    { timeoutMs: 5000, intervalMs: 50 },
  )
  return polled.value
}

test(`soak: ${TOTAL.toLocaleString('en-US')} health requests, flat heap, no descriptor leak`, async () => {
  ;[server, client] = await Promise.all([startChild('express-health.ts'), startChild('load-client.ts')])
  const load = (count: number) =>
    (client as Child).call<GetResult>({
      type: 'get',
      port: (server as Child).port,
      path: '/health',
      count,
      concurrency: CONCURRENCY,
    })
  const sample = () => (server as Child).call<ChildSample>({ type: 'sample' })

  const before = await sample()
  const warm = await load(CHECKPOINT)
  const atCheckpoint = await sample()
  const rest = await load(TOTAL - CHECKPOINT)
  const atEnd = await sample()
  await client.call({ type: 'release' })
  const after = await sampleWhenIdle(server)

  const growth = atEnd.heapUsed - atCheckpoint.heapUsed
  const seconds = (warm.ms + rest.ms) / 1000
  console.log(
    `soak: ${TOTAL} requests in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)}/s), concurrency ${CONCURRENCY}; ` +
      `heap after GC ${(atCheckpoint.heapUsed / MIB).toFixed(2)} MiB at ${CHECKPOINT}, ` +
      `${(atEnd.heapUsed / MIB).toFixed(2)} MiB at ${TOTAL} (${(growth / MIB).toFixed(2)} MiB); ` +
      `fds ${before.fds} before, ${atCheckpoint.fds}/${atEnd.fds} with ${atCheckpoint.connections}/${atEnd.connections} ` +
      `keep-alive connections, ${after.fds} after closing them`,
  )

  expect(warm.statuses).toEqual({ '200': CHECKPOINT })
  expect(rest.statuses).toEqual({ '200': TOTAL - CHECKPOINT })
  expect(warm.errors + rest.errors).toBe(0)
  expect(growth).toBeLessThan(MAX_HEAP_GROWTH)
  // The keep-alive sockets are reused, never accumulated: at most one per concurrent request.
  expect(atCheckpoint.connections).toBeLessThanOrEqual(CONCURRENCY)
  expect(atEnd.connections).toBeLessThanOrEqual(CONCURRENCY)
  // Besides those sockets the child holds exactly what it held before the first request, and once the
  // client hung up, exactly that.
  expect(atCheckpoint.fds - atCheckpoint.connections).toBe(before.fds)
  expect(atEnd.fds - atEnd.connections).toBe(before.fds)
  expect(after.connections).toBe(0)
  expect(after.fds).toBe(before.fds)
}, 180_000)
