import { readFileSync } from 'node:fs'
import { pollUntil } from '@healthgate/core/primitives'
import { type Child, type ChildSample, startChild } from './support/child.js'

const CONNECTIONS = 10_000
// The listen backlog is capped by net.core.somaxconn (often 4096): connecting in waves keeps the accept
// queue from overflowing into SYN retries, while every connection stays open until the end.
const WAVE = 1000
// Each side of the test holds one descriptor per connection, plus what the runtime itself uses.
const HEADROOM = 500

let server: Child | undefined
let client: Child | undefined

afterEach(async () => {
  await Promise.all([client?.stop(), server?.stop()])
  client = undefined
  server = undefined
})

/** The soft `RLIMIT_NOFILE` of this process; the forked fixtures inherit it. */
function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('Max open files'))
  const soft = line?.split(/\s{2,}/)[1]
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft)
}

test(`${CONNECTIONS.toLocaleString('en-US')} concurrent connections to the health route are all answered`, async () => {
  const limit = openFileLimit()
  if (limit < CONNECTIONS + HEADROOM) {
    throw new Error(
      `This test holds ${CONNECTIONS} connections in one process (the server) and needs \`ulimit -n\` of at ` +
        `least ${CONNECTIONS + HEADROOM}; it is ${limit}. Raise it (e.g. \`ulimit -n 65536\`) before running jest.`,
    )
  }
  ;[server, client] = await Promise.all([startChild('express-health.ts'), startChild('load-client.ts')])

  const opened = await client.call<{ open: number; failed: number }>({
    type: 'open',
    port: server.port,
    connections: CONNECTIONS,
    wave: WAVE,
  })
  expect({ open: opened.open, failed: opened.failed }).toEqual({ open: CONNECTIONS, failed: 0 })
  // All of them at once, accepted and held by the server before a single request is sent. A connection
  // the kernel completed may still wait in the accept queue for a moment.
  const holder = server
  const { value: held } = await pollUntil(
    () => holder.call<ChildSample>({ type: 'sample' }),
    (sample) => sample.connections >= CONNECTIONS,
    { timeoutMs: 10_000, intervalMs: 100 },
  )
  expect(held.connections).toBe(CONNECTIONS)

  const answered = await client.call<{ statuses: Record<string, number>; ms: number }>({
    type: 'request-all',
    path: '/health',
  })
  console.log(
    `connections: ${CONNECTIONS} open at once (open-file limit ${limit}), one request on each: ` +
      `${JSON.stringify(answered.statuses)} in ${Math.round(answered.ms)} ms`,
  )
  // The app has only the memory check, which passes: every answer is a 200, none is missing.
  expect(answered.statuses).toEqual({ '200': CONNECTIONS })
}, 120_000)
