import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHealth, createNodeListener, type Health } from '@healthgate/core'
import { renderStatus } from '../../packages/cli/src/commands/status.js'
import { renderLiveLine } from '../../packages/cli/src/progress.js'
import { run } from './run.js'

const TOKEN = 'status-command-admin-t0ken'
const opened: Array<{ health: Health; server: Server }> = []

afterEach(async () => {
  for (const { health, server } of opened.splice(0)) {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    await health.close()
  }
})

async function startInstance(failing = false): Promise<string> {
  const health = createHealth({
    checks: [
      { name: 'memory', check: () => ({ observedValue: 42.123, observedUnit: 'MiB' }) },
      {
        name: 'db',
        check: () => {
          if (failing) throw new Error('connection refused')
        },
      },
    ],
  })
  const server = createServer(createNodeListener(health, { adminToken: TOKEN }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  opened.push({ health, server })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`
}

describe('healthgate status', () => {
  test('prints the checks as a table with the token from the environment, exit 0; positional and --url alike', async () => {
    const url = await startInstance()
    for (const argv of [
      ['status', url],
      ['status', '--url', url],
    ]) {
      const result = await run(argv, { env: { HEALTHGATE_ADMIN_TOKEN: TOKEN } })
      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')
      const lines = result.stdout.split('\n')
      expect(lines[0]).toBe('pass (HTTP 200)')
      expect(lines[2]).toMatch(/^CHECK\s+STATUS\s+OBSERVED\s+SINCE$/)
      expect(result.stdout).toMatch(/\nmemory:responseTime\s+pass\s+42\.12 MiB\s+\d{4}-\d\d-\d\dT/)
      expect(result.stdout).toMatch(/\ndb:responseTime\s+pass\s+[\d.]+ ms\s+\d{4}-\d\d-\d\dT/)
      // Not a terminal: no colors.
      expect(result.stdout).not.toContain('\u001b')
      expect(result.stdout).not.toContain(TOKEN)
    }
  })

  test('an unhealthy instance: exit 1, the failing check and its output; without the token statuses only', async () => {
    const url = await startInstance(true)
    const detailed = await run(['status', url], { env: { HEALTHGATE_ADMIN_TOKEN: TOKEN } })
    expect(detailed.code).toBe(1)
    expect(detailed.stdout).toMatch(/^fail \(HTTP 503\)/)
    expect(detailed.stdout).toMatch(/\ndb:responseTime\s+fail\s+[\d.]+ ms\s+\S+\s+connection refused/)
    const anonymous = await run(['status', url])
    expect(anonymous.code).toBe(1)
    expect(anonymous.stdout).toMatch(/\nCHECK\s+STATUS\n/)
    expect(anonymous.stdout).not.toContain('connection refused')
  })

  test('--json prints the report for scripts', async () => {
    const url = await startInstance()
    const result = await run(['status', url, '--json'], { env: { HEALTHGATE_ADMIN_TOKEN: TOKEN } })
    expect(result.code).toBe(0)
    const body = JSON.parse(result.stdout)
    expect(body).toMatchObject({
      url,
      httpStatus: 200,
      status: 'pass',
      checks: { 'memory:responseTime': [{ status: 'pass', observedValue: 42.123 }] },
    })
  })

  test('usage errors and an unreachable instance', async () => {
    expect((await run(['status'])).code).toBe(2)
    expect((await run(['status', 'http://a.example/health', '--url', 'http://b.example/health'])).code).toBe(
      2,
    )
    const refused = await run(['status', 'http://127.0.0.1:1/health', '--timeout', '2s'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe('healthgate: cannot reach http://127.0.0.1:1/health\n')
  })

  test('colors statuses on a terminal (the rendering function)', () => {
    const body = { status: 'warn', checks: { db: [{ status: 'fail', time: '2026-01-01T00:00:00.000Z' }] } }
    const colored = renderStatus(body, 200, true)
    expect(colored[0]).toBe('\u001b[33mwarn\u001b[0m (HTTP 200)')
    expect(colored.at(-1)).toBe('db     \u001b[31mfail  \u001b[0m  2026-01-01T00:00:00.000Z')
    expect(renderStatus(body, 200, false).join('\n')).not.toContain('\u001b')
  })
})

describe('the live progress line', () => {
  test('shows the balancers holding the drain against the threshold, elapsed and timeout', () => {
    const state = {
      waitingFor: 'drain' as const,
      elapsedMs: 1500,
      timeoutMs: 120_000,
      holding: [
        { id: '10.0.0.1 ELB-HealthChecker/2.0', consecutive503: 1 },
        { id: '10.0.0.2 ELB-HealthChecker/2.0', consecutive503: 0 },
      ],
      threshold: 2,
      detail: '3 one-off requests not waited for',
    }
    expect(renderLiveLine(state, false)).toBe(
      'drain 1.5 s / 2 min waiting for 10.0.0.1 ELB-HealthChecker/2.0 1/2 503s, 10.0.0.2 ELB-HealthChecker/2.0 0/2 503s; 3 one-off requests not waited for',
    )
    expect(renderLiveLine(state, true)).toContain('\u001b[33m1/2\u001b[0m')
  })
})
