import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHealth, fileMaintenance } from '@healthgate/core'
import { cleanupRegistry } from '../support/cleanup.js'
import { ADMIN_TOKEN, serve } from '../support/http.js'
import { waitFor } from '../support/wait.js'

const later = cleanupRegistry()

describe('fileMaintenance behind the readiness route', () => {
  test('touch -> 503 within pollMs + margin; rm -> 200', async () => {
    const dir = later(mkdtempSync(join(tmpdir(), 'healthgate-it-')), (d) =>
      rmSync(d, { recursive: true, force: true }),
    )
    const path = join(dir, 'maintenance')
    const pollMs = 200
    const health = later(createHealth({ maintenance: fileMaintenance({ path, pollMs }) }), (h) => h.close())
    const server = later(await serve(health), (s) => s.close())
    expect((await server.get('/health/ready')).status).toBe(200)

    writeFileSync(path, 'deploy 2024-06-01\n')
    const onMs = await waitFor(async () => (await server.get('/health/ready')).status === 503, pollMs + 500)
    expect(onMs).toBeLessThan(pollMs + 150)
    const detailed = JSON.parse((await server.get('/health/ready', ADMIN_TOKEN)).body)
    expect(detailed.output).toBe('maintenance')
    expect(detailed.notes[0]).toMatch(/^maintenance since .+ \(file\): deploy 2024-06-01$/)
    // Liveness does not drain.
    expect((await server.get('/health/live')).status).toBe(200)

    rmSync(path)
    const offMs = await waitFor(async () => (await server.get('/health/ready')).status === 200, pollMs + 500)
    expect(offMs).toBeLessThan(pollMs + 150)
    process.stdout.write(
      `[measure] file maintenance: 503 after ${onMs.toFixed(0)} ms, 200 after ${offMs.toFixed(0)} ms\n`,
    )
  })

  test('the admin route writes and removes the file', async () => {
    const dir = later(mkdtempSync(join(tmpdir(), 'healthgate-it-')), (d) =>
      rmSync(d, { recursive: true, force: true }),
    )
    const path = join(dir, 'maintenance')
    const health = later(createHealth({ maintenance: fileMaintenance({ path }) }), (h) => h.close())
    const server = later(await serve(health), (s) => s.close())
    const put = await server.request(
      'PUT',
      '/health/maintenance',
      ADMIN_TOKEN,
      JSON.stringify({ reason: 'from the api' }),
    )
    expect(put.status).toBe(200)
    expect(JSON.parse(put.body)).toMatchObject({ enabled: true, reason: 'from the api', source: 'file' })
    expect((await server.get('/health/ready')).status).toBe(503)
    expect((await server.request('DELETE', '/health/maintenance', ADMIN_TOKEN)).status).toBe(200)
    expect((await server.get('/health/ready')).status).toBe(200)
    expect(() => rmSync(path)).toThrow(/ENOENT/)
  })
})
