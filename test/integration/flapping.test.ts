import type { FlapRequest, FlapResult } from '../reliability/fixtures/flapping.js'
import { type Child, startChild } from '../reliability/support/child.js'

const PERIOD_MS = 100
const DURATION_MS = 10_000

let child: Child | undefined

afterEach(async () => {
  await child?.stop()
  child = undefined
})

async function flap(
  dependency: FlapRequest['dependency'],
  fault: FlapRequest['fault'],
  timeoutMs: number,
): Promise<FlapResult> {
  child = await startChild('flapping.ts')
  const request: FlapRequest = {
    type: 'flap',
    dependency,
    fault,
    timeoutMs,
    periodMs: PERIOD_MS,
    durationMs: DURATION_MS,
    concurrency: 8,
    pauseMs: 1,
  }
  const result = await child.call<FlapResult>(request)
  const { finalBody, ...summary } = result
  console.log(
    `flapping ${dependency} (pass/${fault} every ${PERIOD_MS} ms for ${DURATION_MS} ms): ${JSON.stringify(summary)}`,
  )
  // The process survived the whole run: it answered, and it still exits cleanly when asked.
  expect(await child.stop()).toBe(0)
  child = undefined
  return result
}

function expectSurvived(result: FlapResult, minFlips: number): void {
  expect(result.uncaughtExceptions).toEqual([])
  expect(result.unhandledRejections).toEqual([])
  // Every request got an HTTP answer, and only the two a health route gives: up or down, never a 500.
  expect(result.requestErrors).toBe(0)
  expect(Object.keys(result.statuses).sort()).toEqual(['200', '503'])
  // The fault really flapped under the requests, and the reported status followed it (see minFlips).
  expect(result.modeChanges).toBeGreaterThanOrEqual((DURATION_MS / PERIOD_MS) * 0.8)
  expect(result.flips).toBeGreaterThanOrEqual(minFlips)
  // Once the dependency stays up, the health passes again.
  expect(result.recoveryMs).toBeGreaterThanOrEqual(0)
  expect(result.finalStatus).toBe(200)
  expect(JSON.parse(result.finalBody)).toMatchObject({ status: 'pass' })
  // No socket outlived the run: through the proxy exactly what the client holds, and after closing
  // everything, the descriptors the process started with.
  expect(result.activeConnections).toBe(result.clientConnections)
  expect(result.closedCleanly).toBe(true)
  expect(result.fdsAfter).toBeLessThanOrEqual(result.fdsBefore)
}

test('Redis flapping between pass and reset: no crash, no leak, pass afterwards', async () => {
  const result = await flap('redis', 'reset', 300)
  // The status went down under the fault. Whether it also comes back while the fault still flaps depends
  // on where ioredis's growing reconnect delay lands against the 100 ms windows (a run seen with no pass
  // window hit in 10 s), so coming back is asserted after the fault stops, through finalStatus.
  expectSurvived(result, 1)
  // ioredis keeps at most one connection (none if the end caught it reconnecting); every reset made it reconnect.
  expect(result.clientConnections).toBeLessThanOrEqual(1)
  expect(result.proxyConnections).toBeGreaterThan(1)
}, 60_000)

test('PostgreSQL flapping between pass and black hole: no crash, no leak, pass afterwards', async () => {
  // A deadline below the black-hole period: runs caught in it are abandoned and their connections destroyed.
  const result = await flap('postgres', 'blackhole', 50)
  // Every run opens a fresh pool checkout, so the status follows the fault down and back up repeatedly.
  expectSurvived(result, 2)
  // The pool is back to idle connections within its size; nothing waits for a connection.
  expect(result.clientConnections).toBeGreaterThanOrEqual(1)
  expect(result.clientConnections).toBeLessThanOrEqual(result.poolMax ?? 0)
  expect(result.poolIdle).toBe(result.clientConnections)
  expect(result.poolWaiting).toBe(0)
}, 60_000)
