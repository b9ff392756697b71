// The failover README's page snippet, as a reader pastes it, in headless Chromium, Deno and Bun against
// real healthgate servers (only the health URLs replaced by the test servers'). The primary is in
// maintenance: its 503 must reach the monitor, also in the page, where only the health route's CORS
// header lets it through.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FailoverSnapshot } from '@healthgate/failover'
import { ROOT } from '../support/spawn.js'
import { type Harness, startHarness } from './runtimes/harness.js'
import { bundleForBrowser, PAGE_HTML, RUNTIMES, runIn } from './runtimes/runners.js'

const README = readFileSync(join(ROOT, 'packages/failover/README.md'), 'utf8')

function pageSnippet(): string {
  const section = README.slice(README.indexOf('### In a page'))
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(section)?.[1]
  if (!block) throw new Error('no ts block under "### In a page" in the failover README')
  return block
}

let harness: Harness | undefined
afterEach(async () => {
  await harness?.close()
  harness = undefined
})

test.each(RUNTIMES)(
  'the README page snippet runs in %s',
  async (runtime) => {
    harness = await startHarness()
    const [primary, secondary] = harness.config.endpoints
    if (!primary || !secondary) throw new Error('two endpoints expected')
    await harness.setHealthy('primary', false)
    const snippet = pageSnippet()
    const source = `${snippet
      .replaceAll('https://primary.example.com/health/ready', primary.healthUrl)
      .replaceAll('https://secondary.example.com/health/ready', secondary.healthUrl)}
console.log(\`SNAPSHOT \${JSON.stringify(monitor.snapshot())}\`)
await monitor.stop()
`
    expect(source).not.toMatch(/https:\/\/[a-z]+\.example\.com\/health/)
    if (runtime === 'chromium')
      harness.servePage({ html: PAGE_HTML, script: await bundleForBrowser({ source }) })

    const snapshot = JSON.parse(await runIn(runtime, harness, { source }, 'SNAPSHOT ')) as FailoverSnapshot

    // start() ran its first round: the primary answered 503, one failure of three.
    expect(snapshot).toMatchObject({
      active: { name: 'primary', connectUrl: 'wss://primary.example.com/primary' },
      allDown: false,
      running: true,
    })
    expect(snapshot.endpoints).toEqual([
      expect.objectContaining({
        name: 'primary',
        status: 'down',
        lastStatus: 503,
        lastError: 'HTTP 503 (expected 200-399)',
        consecutiveFailures: 1,
        method: 'HEAD',
      }),
      expect.objectContaining({ name: 'secondary', status: 'unknown' }),
    ])
    expect(harness.log).toContainEqual(
      expect.objectContaining({ kind: 'probe', server: 'primary', method: 'HEAD', status: 503 }),
    )
  },
  120_000,
)
