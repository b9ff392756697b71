import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { VERSION } from '@healthgate/cli'
import { closeAllStubs, startHealthStub } from '../failover/server.js'
import { run } from './run.js'

afterEach(closeAllStubs)

describe('top level', () => {
  test('--version and -v print the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../packages/cli/package.json'), 'utf8'))
    expect(VERSION).toBe(pkg.version)
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' })
    expect((await run(['-v'])).stdout).toBe(`${pkg.version}\n`)
  })

  test('--help, -h and help print the command list on stdout, exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const result = await run(argv)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('Usage: healthgate <command> [options]')
      expect(result.stdout).toContain('maintenance on|off|status')
      expect(result.stderr).toBe('')
    }
  })

  test('help <command> and <command> --help / -h print that command help', async () => {
    for (const command of ['probe', 'status', 'maintenance', 'watch']) {
      for (const argv of [
        ['help', command],
        [command, '--help'],
        [command, '-h'],
      ]) {
        const result = await run(argv)
        expect(result.code).toBe(0)
        expect(result.stdout).toContain(`Usage: healthgate ${command}`)
        expect(result.stdout).toContain('Exit codes:')
      }
    }
  })

  test('no arguments: usage on stderr, exit 2', async () => {
    const result = await run([])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('Usage: healthgate <command>')
  })

  test.each([
    [['deploy'], "healthgate: unknown command 'deploy' (expected probe, status, maintenance, watch)"],
    [['help', 'deploy'], "healthgate: unknown command 'deploy'"],
    [['--bogus'], 'healthgate: unknown option `--bogus`; Known options: --help, --version'],
    [['--json'], 'healthgate: unknown option `--json`; Known options: --help, --version'],
    [
      ['--verison'],
      'healthgate: unknown option `--verison`; did you mean `--version`? Known options: --help, --version',
    ],
  ])('%j is a usage error', async (argv, message) => {
    const result = await run(argv)
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `${message}\nRun 'healthgate --help' for usage.\n`,
    })
  })
})

describe('probe', () => {
  test('healthy: exit 0 with one line on stdout', async () => {
    const stub = await startHealthStub({ status: 200 })
    const result = await run(['probe', stub.url])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^healthy: GET ${stub.url} answered 200 in \\d+ ms\\n$`))
    expect(result.stderr).toBe('')
    expect(stub.methods).toEqual(['GET'])
  })

  test('takes the URL as --url too', async () => {
    const stub = await startHealthStub({ status: 200 })
    const result = await run(['probe', '--url', stub.url])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^healthy: GET ${stub.url} answered 200`))
  })

  test('503: exit 1 with the reason on stderr', async () => {
    const stub = await startHealthStub({ status: 503 })
    const result = await run(['probe', stub.url])
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `unhealthy: GET ${stub.url}: HTTP 503 (expected 200-299)\n`,
    })
  })

  test('the default expect is 200-299: a redirect is unhealthy and not followed; --expect widens it', async () => {
    const stub = await startHealthStub({ status: 302 })
    expect((await run(['probe', stub.url])).code).toBe(1)
    expect((await run(['probe', stub.url, '--expect', '200-399'])).code).toBe(0)
    expect(stub.methods).toEqual(['GET', 'GET'])
  })

  test('a hanging server: exit 1 at --timeout', async () => {
    const stub = await startHealthStub({ hang: true })
    const started = Date.now()
    const result = await run(['probe', stub.url, '--timeout', '200ms'])
    expect(Date.now() - started).toBeLessThan(800)
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `unhealthy: GET ${stub.url}: timed out after 200 ms\n`,
    })
  })

  test('connection refused: exit 1', async () => {
    const stub = await startHealthStub()
    await stub.stop()
    const result = await run(['probe', stub.url])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`unhealthy: GET ${stub.url}: fetch failed (ECONNREFUSED)\n`)
  })

  test('--method HEAD is used, and retried as GET when the server answers 405', async () => {
    const stub = await startHealthStub({ status: 200, headStatus: 405 })
    const result = await run(['probe', stub.url, '--method', 'head'])
    expect(result.code).toBe(0)
    expect(stub.methods).toEqual(['HEAD', 'GET'])
    expect(result.stdout).toContain('healthy: GET')
  })

  test('an abort (SIGINT) while waiting exits 130', async () => {
    const stub = await startHealthStub({ hang: true })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const result = await run(['probe', stub.url, '--timeout', '5s'], { signal: controller.signal })
    expect(result).toEqual({ code: 130, stdout: '', stderr: 'healthgate: interrupted\n' })
  })

  test.each([
    [['probe'], 'missing <url> (as an argument or --url, e.g. http://127.0.0.1:3000/health/live)'],
    [['probe', 'http://a.example', 'http://b.example'], 'expected one <url>, got 2 arguments'],
    [['probe', 'not a url'], "invalid URL for <url>: 'not a url' (expected http:// or https://)"],
    [
      ['probe', 'ftp://a.example/'],
      "invalid URL for <url>: 'ftp://a.example/' (expected http:// or https://)",
    ],
    [
      ['probe', 'http://a.example', '--timeout', 'soon'],
      "invalid duration for --timeout: 'soon' (use e.g. 500ms, 2s, 1m, or a plain number of milliseconds)",
    ],
    [
      ['probe', 'http://a.example', '--timeout', '0'],
      "invalid duration for --timeout: '0' (use e.g. 500ms, 2s, 1m, or a plain number of milliseconds)",
    ],
    [['probe', 'http://a.example', '--timeout'], "option '--timeout' needs a value"],
    [
      ['probe', 'http://a.example', '--method', 'POST'],
      "invalid value for --method: 'POST' (expected HEAD or GET)",
    ],
    [
      ['probe', 'http://a.example', '--expect', '2xxx'],
      'expected `--expect` to be status codes, ranges or classes such as `200-299,304` or `2xx`, got `2xxx`: cannot read `2xxx`',
    ],
    [
      ['probe', 'http://a.example', '--retries', '3'],
      'unknown option `--retries`; Known options: --url, --method, --timeout, --expect, --help',
    ],
    [
      ['probe', 'http://a.example', '--timout', '3s'],
      'unknown option `--timout`; did you mean `--timeout`? Known options: --url, --method, --timeout, --expect, --help',
    ],
    [['probe', 'http://a.example', '--help=yes'], "option '--help' does not take a value"],
  ])('%j: exit 2', async (argv, message) => {
    const result = await run(argv)
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `healthgate: ${message}\nRun 'healthgate probe --help' for usage.\n`,
    })
  })

  test('a password in a bad URL is not echoed', async () => {
    const result = await run(['probe', 'ftp://user:hunter2@a.example/'])
    expect(result.code).toBe(2)
    expect(result.stderr).not.toContain('hunter2')
    expect(result.stderr).toContain('ftp://user:***@a.example/')
  })
})
