import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sleep } from './wait.js'

export const INSTALL_HAPROXY = 'apt-get update && apt-get install -y haproxy'

/** Throws, with the install command, when no `haproxy` binary is on the PATH. */
export function requireHaproxy(): string {
  const probe = spawnSync('haproxy', ['-v'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `HAProxy is required by the rolling-deploy test but \`haproxy -v\` failed (${probe.error?.message ?? `exit ${probe.status}`}). ` +
        `Install it with: ${INSTALL_HAPROXY}`,
    )
  }
  return probe.stdout.split('\n')[0] ?? 'HAProxy'
}

export interface HaproxyOptions {
  frontendPort: number
  backendPorts: readonly number[]
  /** Health check interval. */
  interDelay: string
  fall: number
  rise: number
}

export interface Haproxy {
  /** `show stat` per server name: `status` (UP, DOWN, "DOWN 1/2", ...) and `check` (L7OK, L4CON, ...). */
  servers(): Promise<Map<string, { status: string; check: string }>>
  /** Resolves once server `name` is UP with a passed check, or throws after `timeoutMs`. */
  waitUntilUp(name: string, timeoutMs?: number): Promise<void>
  readonly stderr: string
  stop(): Promise<void>
}

/**
 * Starts `haproxy -db` in front of `backendPorts` (servers `s1`, `s2`, ...): readiness-checked with
 * `GET /health/ready`, no retries and no redispatch, so that every request the balancer sends to a closing
 * server shows up as a failure instead of being hidden by a second attempt.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'healthgate-haproxy-'))
  const socketPath = join(dir, 'stats.sock')
  const servers = options.backendPorts.map((port, index) => `  server s${index + 1} 127.0.0.1:${port} check`)
  const config = [
    'global',
    `  stats socket ${socketPath} mode 600 level user`,
    '  maxconn 2000',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 30s',
    // Generous against a busy CI machine: a slow check answer must not look like a failed check.
    '  timeout check 2s',
    '  retries 0',
    '',
    'frontend web',
    `  bind 127.0.0.1:${options.frontendPort}`,
    '  default_backend app',
    '',
    'backend app',
    '  balance roundrobin',
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    `  default-server inter ${options.interDelay} fall ${options.fall} rise ${options.rise}`,
    ...servers,
    '',
  ].join('\n')
  const configPath = join(dir, 'haproxy.cfg')
  await writeFile(configPath, config)

  const child: ChildProcess = spawn('haproxy', ['-f', configPath, '-db'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const showStat = () =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(socketPath)
      let text = ''
      socket.setEncoding('utf8')
      socket.setTimeout(2000, () => socket.destroy(new Error('stats socket timed out')))
      socket.on('data', (chunk: string) => {
        text += chunk
      })
      socket.on('error', reject)
      socket.on('end', () => resolve(text))
      socket.on('connect', () => socket.write('show stat\n'))
    })

  const haproxy: Haproxy = {
    async servers() {
      const [header, ...rows] = (await showStat()).trim().split('\n')
      const columns = (header ?? '').replace(/^# /, '').split(',')
      const col = (name: string) => columns.indexOf(name)
      const result = new Map<string, { status: string; check: string }>()
      for (const row of rows) {
        const cells = row.split(',')
        const name = cells[col('svname')] ?? ''
        if (cells[col('pxname')] !== 'app' || name === 'BACKEND' || name === 'FRONTEND') continue
        result.set(name, { status: cells[col('status')] ?? '', check: cells[col('check_status')] ?? '' })
      }
      return result
    },
    async waitUntilUp(name, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      let last = 'unknown'
      while (Date.now() < deadline) {
        try {
          const server = (await haproxy.servers()).get(name)
          if (server?.status === 'UP' && server.check === 'L7OK') return
          last = JSON.stringify(server)
        } catch (error) {
          last = (error as Error).message
        }
        await sleep(25)
      }
      throw new Error(`HAProxy did not mark ${name} UP within ${timeoutMs} ms (last: ${last})\n${stderr}`)
    },
    get stderr() {
      return stderr
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
      await rm(dir, { recursive: true, force: true })
    },
  }

  // Ready once the stats socket answers.
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      await haproxy.servers()
      break
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await haproxy.stop()
        throw new Error(`HAProxy did not start: ${(error as Error).message}\n${stderr}`)
      }
      await sleep(50)
    }
  }
  return haproxy
}
