import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { waitFor } from './wait.js'

export const INSTALL_PROMETHEUS = 'apt-get update && apt-get install -y prometheus'

/** Throws, with the install command, when no `prometheus` binary is on the PATH. */
export function requirePrometheus(): string {
  const probe = spawnSync('prometheus', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `Prometheus is required by the metrics test but \`prometheus --version\` failed (${probe.error?.message ?? `exit ${probe.status}`}). ` +
        `Install it with: ${INSTALL_PROMETHEUS}`,
    )
  }
  return `${probe.stdout}${probe.stderr}`.split('\n')[0] ?? 'Prometheus'
}

export interface Sample {
  metric: Record<string, string>
  value: number
}

export interface Prometheus {
  readonly url: string
  /** An instant query through `/api/v1/query`. */
  query(promql: string): Promise<Sample[]>
  /** Resolves once `target` was scraped successfully (`up == 1`), or throws after `timeoutMs`. */
  waitForTarget(timeoutMs?: number): Promise<void>
  readonly stderr: string
  stop(): Promise<void>
}

/**
 * Starts a real Prometheus on a free port, scraping `target` (`host:port`, path `/metrics`) every second,
 * with its storage in a temporary directory removed by `stop()`.
 */
export async function startPrometheus(target: string): Promise<Prometheus> {
  requirePrometheus()
  const dir = await mkdtemp(join(tmpdir(), 'healthgate-prometheus-'))
  const port = await freePort()
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: healthgate',
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n')
  const configPath = join(dir, 'prometheus.yml')
  await writeFile(configPath, config)
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    await rm(dir, { recursive: true, force: true })
  }

  const query = async (promql: string): Promise<Sample[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)
    const body = (await response.json()) as {
      status: string
      error?: string
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] }
    }
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`)
    return (body.data?.result ?? []).map(({ metric, value }) => ({ metric, value: Number(value[1]) }))
  }

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${stderr}`)
        const ready = await fetch(`${url}/-/ready`).catch(() => undefined)
        return ready?.status === 200
      },
      20_000,
      100,
    )
  } catch (error) {
    await stop()
    throw error
  }

  return {
    url,
    query,
    get stderr() {
      return stderr
    },
    async waitForTarget(timeoutMs = 15_000) {
      await waitFor(async () => (await query('up{job="healthgate"}'))[0]?.value === 1, timeoutMs, 200)
    },
    stop,
  }
}
