import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { closeAllStubs, startHealthStub } from '../failover/server.js'
import { waitFor } from '../support/wait.js'

// The real binary, as `pnpm healthgate` and Docker run it. `pnpm test` builds before running jest.
const CLI = join(__dirname, '../../packages/cli/dist/cli.js')

const children: ChildProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  await closeAllStubs()
})

function spawnCli(args: string[]) {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} does not exist: run \`pnpm run build\` before this test (pnpm test does it)`)
  }
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const output = { stdout: '', stderr: '' }
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()))
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output, exit }
}

test('the built binary starts with a node shebang', () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`pnpm run build\` first`)
  expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
})

test('probe: exit codes of the real process, as a Docker HEALTHCHECK sees them', async () => {
  const stub = await startHealthStub({ status: 200 })
  const healthy = spawnCli(['probe', stub.url])
  expect(await healthy.exit).toBe(0)
  expect(healthy.output.stdout).toContain('healthy: GET')

  stub.behaviour.status = 503
  const unhealthy = spawnCli(['probe', stub.url])
  expect(await unhealthy.exit).toBe(1)
  expect(unhealthy.output.stderr).toContain('HTTP 503')

  const usage = spawnCli(['probe', '--timeout', 'x', stub.url])
  expect(await usage.exit).toBe(2)
})

test('watch stops cleanly on SIGTERM with exit 0', async () => {
  const primary = await startHealthStub()
  const secondary = await startHealthStub()
  const watch = spawnCli([
    'watch',
    '--endpoint',
    `primary=${primary.url},wss://primary.example.com/primary`,
    '--endpoint',
    `secondary=${secondary.url},wss://secondary.example.com/secondary`,
    '--interval',
    '100ms',
  ])
  await waitFor(() => watch.output.stderr.includes('active: primary'), 10_000)
  watch.child.kill('SIGTERM')
  expect(await watch.exit).toBe(0)
  expect(watch.output.stderr.trim().endsWith('stopped')).toBe(true)
})
