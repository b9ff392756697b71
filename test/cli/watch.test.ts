import type { FailoverEvent } from '@healthgate/failover'
import { closeAllStubs, startHealthStub } from '../failover/server.js'
import { sleep, waitFor } from '../support/wait.js'
import { run, start } from './run.js'

const controllers: AbortController[] = []
const running: Array<Promise<number>> = []

afterEach(async () => {
  for (const controller of controllers.splice(0)) controller.abort()
  await Promise.all(running.splice(0))
  await closeAllStubs()
})

function watch(argv: string[]) {
  const controller = new AbortController()
  controllers.push(controller)
  const session = start(['watch', ...argv], { signal: controller.signal })
  running.push(session.done)
  return { ...session, stop: () => controller.abort() }
}

describe('watch', () => {
  test('prints one JSON line per transition, serves /active, and stops cleanly on abort', async () => {
    const primary = await startHealthStub()
    const secondary = await startHealthStub()
    const session = watch([
      '--endpoint',
      `primary=${primary.url},ws://127.0.0.1:${primary.port}/primary`,
      '--endpoint',
      `secondary=${secondary.url},ws://127.0.0.1:${secondary.port}/secondary`,
      '--interval',
      '200ms',
      '--timeout',
      '150',
      '--failure-threshold',
      '2',
      '--success-threshold',
      '2',
      '--serve',
      '0',
      '--json',
    ])
    await waitFor(() => session.output.stderr.includes('active: primary'))
    const served = /serving the active endpoint at (http:\/\/127\.0\.0\.1:\d+)\/active/.exec(
      session.output.stderr,
    )
    expect(served).not.toBeNull()
    const activeUrl = `${served?.[1]}/active`
    expect(await (await fetch(activeUrl)).json()).toMatchObject({ name: 'primary', allDown: false })
    expect(session.output.stdout).toBe('')

    primary.behaviour.status = 503
    await waitFor(() => session.output.stdout.includes('\n'), 3000)
    primary.behaviour.status = 200
    await waitFor(() => session.output.stdout.split('\n').length > 2, 3000)

    const events = session.output.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as FailoverEvent)
    expect(events.map(({ type, from, to, failback }) => ({ type, from, to, failback }))).toEqual([
      { type: 'switch', from: 'primary', to: 'secondary', failback: false },
      { type: 'switch', from: 'secondary', to: 'primary', failback: true },
    ])
    expect(events[0]?.connectUrl).toBe(`ws://127.0.0.1:${secondary.port}/secondary`)

    session.stop()
    expect(await session.done).toBe(0)
    expect(session.output.stderr.trim().endsWith('stopped')).toBe(true)
    await expect(fetch(activeUrl)).rejects.toThrow('fetch failed')
    const requests = primary.methods.length
    await sleep(250)
    expect(primary.methods.length).toBe(requests)
  })

  test('human-readable lines by default, with all-down and recovered', async () => {
    const primary = await startHealthStub({ status: 503 })
    const secondary = await startHealthStub({ status: 503 })
    const session = watch([
      '--endpoint',
      `primary=${primary.url},wss://primary.example.com/primary`,
      '--endpoint',
      `secondary=${secondary.url},wss://secondary.example.com/secondary`,
      '--interval',
      '300ms',
      '--timeout',
      '250ms',
      '--failure-threshold',
      '1',
      '--no-failback',
    ])
    await waitFor(() => session.output.stdout.includes('all-down'), 3000)
    secondary.behaviour.status = 200
    await waitFor(() => session.output.stdout.includes('recovered'), 3000)
    const lines = session.output.stdout.trim().split('\n')
    expect(lines[0]).toMatch(
      /^\S+Z all-down: primary stays active wss:\/\/primary\.example\.com\/primary: primary failed 1 consecutive check \(HTTP 503 \(expected 200-399\)\); no other endpoint is healthy$/,
    )
    expect(lines[1]).toMatch(
      /^\S+Z recovered primary -> secondary wss:\/\/secondary\.example\.com\/secondary: secondary is healthy again$/,
    )
    expect(session.output.stderr).toContain('no failback')
    session.stop()
    expect(await session.done).toBe(0)
  })

  test('--serve on a port in use: exit 1', async () => {
    const busy = await startHealthStub()
    const result = await run([
      'watch',
      '--endpoint',
      `a=${busy.url},wss://a.example.com/`,
      '--endpoint',
      `b=${busy.url},wss://b.example.com/`,
      '--serve',
      `127.0.0.1:${busy.port}`,
    ])
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `healthgate: cannot serve on 127.0.0.1:${busy.port} (EADDRINUSE)\n`,
    })
  })

  const a = '--endpoint=a=http://127.0.0.1:1/_ping,wss://a.example.com/a'
  const b = '--endpoint=b=http://127.0.0.1:2/_ping,wss://b.example.com/b'
  test.each([
    [[], 'at least two --endpoint options are needed, got 0'],
    [[a], 'at least two --endpoint options are needed, got 1'],
    [[a, a], "endpoint name 'a' is used twice"],
    [
      [a, '--endpoint', 'b'],
      "invalid --endpoint 'b' (expected name=<healthUrl>,<connectUrl>, e.g. primary=https://a.example.com/_ping,wss://a.example.com/ws)",
    ],
    [
      [a, '--endpoint', '=http://x.example/,ws://x.example/'],
      "invalid --endpoint '=http://x.example/,ws://x.example/' (expected name=<healthUrl>,<connectUrl>, e.g. primary=https://a.example.com/_ping,wss://a.example.com/ws)",
    ],
    [
      [a, '--endpoint', 'b=http://x.example/'],
      "invalid --endpoint 'b=http://x.example/' (expected name=<healthUrl>,<connectUrl>, e.g. primary=https://a.example.com/_ping,wss://a.example.com/ws)",
    ],
    [
      [a, '--endpoint', 'b=ws://x.example/,ws://x.example/'],
      "invalid URL for --endpoint b health URL: 'ws://x.example/' (expected http:// or https://)",
    ],
    [
      [a, b, '--interval', '10x'],
      "invalid duration for --interval: '10x' (use e.g. 500ms, 2s, 1m, or a plain number of milliseconds)",
    ],
    [[a, b, '--interval', '1s', '--timeout', '1s'], '--timeout (1 s) must be shorter than --interval (1 s)'],
    [
      [a, b, '--failure-threshold', '0'],
      "invalid value for --failure-threshold: '0' (expected a positive integer)",
    ],
    [
      [a, b, '--success-threshold', '1.5'],
      "invalid value for --success-threshold: '1.5' (expected a positive integer)",
    ],
    [[a, b, '--method', 'PUT'], "invalid value for --method: 'PUT' (expected HEAD or GET)"],
    [
      [a, b, '--expect', '200-'],
      'expected `--expect` to be status codes, ranges or classes such as `200-299,304` or `2xx`, got `200-`: cannot read `200-`',
    ],
    [[a, b, '--serve', 'eighty'], "invalid value for --serve: 'eighty' (expected PORT or HOST:PORT)"],
    [[a, b, '--serve', '70000'], "invalid value for --serve: '70000' (expected PORT or HOST:PORT)"],
    [[a, b, 'extra'], "unexpected argument 'extra'"],
    [
      [a, b, '--fleet'],
      'unknown option `--fleet`; Known options: --endpoint, --interval, --timeout, --failure-threshold, --success-threshold, --no-failback, --method, --expect, --serve, --json, --help',
    ],
  ])('usage error %#: %j', async (argv, message) => {
    const result = await run(['watch', ...argv])
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `healthgate: ${message}\nRun 'healthgate watch --help' for usage.\n`,
    })
  })
})
