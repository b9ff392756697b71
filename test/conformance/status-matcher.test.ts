// One status grammar everywhere: httpCheck's `expect`, the failover monitor's `expect` and
// `healthgate probe --expect` accept the same specifications, reject the same mistakes, and pass the
// same statuses.
import { httpCheck } from '@healthgate/core'
import { createFailover } from '@healthgate/failover'
import { run } from '../cli/run.js'
import { closeAllStubs, type HealthStub, startHealthStub } from '../failover/server.js'
import { runCheck } from '../support/run-check.js'

afterEach(closeAllStubs)

const ACCEPTED = ['200', '2xx', '200-299', '200,204', ' 204 , 250-260 ', '4XX,503'] as const
const REJECTED = ['', ' ', '2xxx', '20', '600', '099-200', '299-200', '6xx', 'ok', '200,', '200;204'] as const
// No 3xx: httpCheck follows redirects, the monitor and the probe do not (documented on each).
const STATUSES = [200, 204, 250, 404, 503] as const

const GRAMMAR = /to be status codes, ranges or classes such as `200-299,304` or `2xx`, got /

const endpointsFor = (healthUrl: string) => [
  { name: 'a', healthUrl, connectUrl: 'wss://a.example.com/' },
  { name: 'b', healthUrl: 'http://127.0.0.1:1/', connectUrl: 'wss://b.example.com/' },
]

/** Whether each consumer counts `stub`'s current status as healthy under `spec`. */
async function verdicts(spec: string, stub: HealthStub) {
  const check = await runCheck(httpCheck({ url: stub.url, expect: spec }))
  const monitor = createFailover({ endpoints: endpointsFor(stub.url), method: 'GET', expect: spec })
  const snapshot = await monitor.tick()
  await monitor.stop()
  const probe = await run(['probe', stub.url, '--expect', spec])
  return {
    httpCheck: check.ok,
    failover: snapshot.endpoints[0]?.status === 'up',
    probe: probe.code === 0,
  }
}

describe.each(ACCEPTED)('%p', (spec) => {
  test('is accepted by all three and gives the same verdict for every status', async () => {
    const stub = await startHealthStub()
    for (const status of STATUSES) {
      stub.behaviour.status = status
      const seen = await verdicts(spec, stub)
      expect({ status, ...seen }).toEqual({
        status,
        httpCheck: seen.httpCheck,
        failover: seen.httpCheck,
        probe: seen.httpCheck,
      })
    }
  })
})

test('the verdicts follow the grammar, not just each other', async () => {
  const stub = await startHealthStub({ status: 204 })
  expect(await verdicts('2xx', stub)).toEqual({ httpCheck: true, failover: true, probe: true })
  expect(await verdicts('200', stub)).toEqual({ httpCheck: false, failover: false, probe: false })
  stub.behaviour.status = 503
  expect(await verdicts('4XX,503', stub)).toEqual({ httpCheck: true, failover: true, probe: true })
})

describe.each(REJECTED)('%p', (spec) => {
  test('is rejected by all three with the grammar message', async () => {
    expect(() => httpCheck({ url: 'http://127.0.0.1:1/', expect: spec })).toThrow(TypeError)
    expect(() => httpCheck({ url: 'http://127.0.0.1:1/', expect: spec })).toThrow(GRAMMAR)
    expect(() => createFailover({ endpoints: endpointsFor('http://127.0.0.1:2/'), expect: spec })).toThrow(
      TypeError,
    )
    expect(() => createFailover({ endpoints: endpointsFor('http://127.0.0.1:2/'), expect: spec })).toThrow(
      GRAMMAR,
    )
    const probe = await run(['probe', 'http://127.0.0.1:1/', '--expect', spec])
    expect(probe.code).toBe(2)
    expect(probe.stdout).toBe('')
    expect(probe.stderr).toMatch(GRAMMAR)
  })
})
