// Runs ./scenario.ts in one runtime against a started harness and returns its report: headless Chromium
// (the scenario bundled for browsers by esbuild, the page served by the control server so that the health
// servers are cross-origin), Deno and Bun (the real binaries of the npm packages `deno` and `bun`).
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { ROOT } from '../../support/spawn.js'
import type { Harness } from './harness.js'
import type { ScenarioReport } from './scenario.js'

export const SCENARIO = join(ROOT, 'test/failover/runtimes/scenario.ts')
export const RUNTIMES = ['chromium', 'deno', 'bun'] as const
export type Runtime = (typeof RUNTIMES)[number]

/** The scenario's own waits are bounded; this bounds a runtime that hangs before or after them. */
const RUN_LIMIT_MS = 60_000
const CHROMIUM = '/usr/bin/chromium'

/** The page's script: the scenario and `@healthgate/failover` as a browser bundler resolves it. */
export async function bundleScenario(): Promise<string> {
  const result = await build({
    entryPoints: [SCENARIO],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const [output] = result.outputFiles
  if (!output) throw new Error('esbuild produced no output')
  return output.text
}

export const PAGE_HTML =
  '<!doctype html><title>failover</title><script type="module" src="/scenario.js"></script>'

export async function runIn(runtime: Runtime, harness: Harness): Promise<ScenarioReport> {
  switch (runtime) {
    case 'chromium':
      return runInChromium(harness)
    case 'deno':
      return runScript(join(ROOT, 'node_modules/.bin/deno'), [
        'run',
        '--no-lock',
        '--no-prompt',
        '--allow-net=127.0.0.1',
        `--allow-read=${ROOT}`,
        SCENARIO,
        harness.controlUrl,
      ])
    case 'bun':
      return runScript(join(ROOT, 'node_modules/.bin/bun'), [SCENARIO, harness.controlUrl])
  }
}

async function runInChromium(harness: Harness): Promise<ScenarioReport> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking'],
    headless: true,
    timeout: RUN_LIMIT_MS,
  })
  try {
    const page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(`${harness.controlUrl}/`, { timeout: RUN_LIMIT_MS })
    const report = await page.evaluate(
      () => (globalThis as { healthgateScenario?: Promise<ScenarioReport> }).healthgateScenario,
    )
    if (!report) throw new Error(`the page did not start the scenario: ${pageErrors.join('; ')}`)
    return report
  } finally {
    await browser.close()
  }
}

function runScript(binary: string, args: string[]): Promise<ScenarioReport> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      {
        cwd: ROOT,
        timeout: RUN_LIMIT_MS,
        killSignal: 'SIGKILL',
        env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', DO_NOT_TRACK: '1' },
      },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((candidate) => candidate.startsWith('REPORT '))
        if (error || !line) {
          reject(new Error(`${binary} ${args.join(' ')} failed: ${error?.message}\n${stdout}\n${stderr}`))
          return
        }
        resolve(JSON.parse(line.slice('REPORT '.length)) as ScenarioReport)
      },
    )
  })
}
