// Runs code in one runtime against a started harness and returns the line it prints with a given prefix:
// headless Chromium (the code bundled for browsers by esbuild, the page served by the control server so
// that the health servers are cross-origin), Deno and Bun (the real binaries of the npm packages `deno`
// and `bun`). The code imports `@healthgate/failover` as a user of that runtime would.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { type BuildOptions, build } from 'esbuild'
import { chromium } from 'playwright-core'
import { ROOT } from '../../support/spawn.js'
import type { Harness } from './harness.js'

export const SCENARIO = join(ROOT, 'test/failover/runtimes/scenario.ts')
export const RUNTIMES = ['chromium', 'deno', 'bun'] as const
export type Runtime = (typeof RUNTIMES)[number]

/** A file of this repository, or TypeScript source (run from the repository root). */
export type Code = { file: string } | { source: string }

/** The code's waits are bounded; this bounds a runtime that hangs before or after them. */
const RUN_LIMIT_MS = 60_000
const CHROMIUM = '/usr/bin/chromium'

/** The page's script: the code and `@healthgate/failover` as a browser bundler resolves them. */
export async function bundleForBrowser(code: Code): Promise<string> {
  const entry: BuildOptions =
    'file' in code
      ? { entryPoints: [code.file] }
      : { stdin: { contents: code.source, loader: 'ts', resolveDir: ROOT } }
  const result = await build({
    ...entry,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const [output] = result.outputFiles ?? []
  if (!output) throw new Error('esbuild produced no output')
  return output.text
}

export const PAGE_HTML =
  '<!doctype html><title>failover</title><script type="module" src="/scenario.js"></script>'

/**
 * Runs `code` in `runtime` and resolves with what follows `prefix` on the first line it prints (console
 * output in the page) starting with it. For Chromium, the harness must serve the bundle of `code`.
 */
export async function runIn(runtime: Runtime, harness: Harness, code: Code, prefix: string): Promise<string> {
  const source = 'source' in code ? code.source : undefined
  const target = 'file' in code ? [code.file] : ['-']
  switch (runtime) {
    case 'chromium':
      return runInChromium(harness, prefix)
    case 'deno': {
      const deno = join(ROOT, 'node_modules/.bin/deno')
      const permissions = ['--no-lock', '--no-prompt', '--allow-net=127.0.0.1', `--allow-read=${ROOT}`]
      const args = ['run', ...permissions, ...(source ? ['--ext=ts'] : []), ...target, harness.controlUrl]
      return runScript(deno, args, prefix, source)
    }
    case 'bun':
      return runScript(
        join(ROOT, 'node_modules/.bin/bun'),
        ['run', ...target, harness.controlUrl],
        prefix,
        source,
      )
  }
}

async function runInChromium(harness: Harness, prefix: string): Promise<string> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking'],
    headless: true,
    timeout: RUN_LIMIT_MS,
  })
  try {
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    const printed = page.waitForEvent('console', {
      predicate: (message) => message.text().startsWith(prefix),
      timeout: RUN_LIMIT_MS,
    })
    await page.goto(`${harness.controlUrl}/`, { timeout: RUN_LIMIT_MS })
    try {
      return (await printed).text().slice(prefix.length)
    } catch (error) {
      throw new Error(`the page printed no ${prefix.trim()} line (${problems.join('; ')}): ${error}`)
    }
  } finally {
    await browser.close()
  }
}

function runScript(binary: string, args: string[], prefix: string, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      args,
      {
        cwd: ROOT,
        timeout: RUN_LIMIT_MS,
        killSignal: 'SIGKILL',
        env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', DO_NOT_TRACK: '1' },
      },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((candidate) => candidate.startsWith(prefix))
        if (error || line === undefined) {
          reject(new Error(`${binary} ${args.join(' ')} failed: ${error?.message}\n${stdout}\n${stderr}`))
          return
        }
        resolve(line.slice(prefix.length))
      },
    )
    child.stdin?.end(input ?? '')
  })
}
