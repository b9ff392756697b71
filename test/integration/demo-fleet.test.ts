/**
 * The demos in a fleet (HEALTHGATE_FLEET_REDIS_URL and friends): an Express and a Fastify instance join the
 * same fleet, list each other in GET /health/fleet, and share one disruption budget. Runs the built
 * packages, like a user does.
 */
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { request } from '../support/http.js'
import { REDIS_URL, uniqueSuffix } from '../support/services.js'
import { type Child, killChildren, ROOT, spawnNode } from '../support/spawn.js'
import { waitFor } from '../support/wait.js'

const TOKEN = 'demo-fleet-admin-t0ken'
const auth = { authorization: `Bearer ${TOKEN}` }

afterEach(() => killChildren())

async function startDemo(
  framework: string,
  env: Record<string, string>,
): Promise<{ child: Child; url: string }> {
  const child = spawnNode(join(ROOT, 'examples', framework, 'server.mjs'), {
    PORT: '0',
    HOST: '127.0.0.1',
    HEALTHGATE_ADMIN_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
    ...env,
  })
  const url = (await child.waitFor(/listening on (http:\/\/\S+)/, 15_000))[1] ?? ''
  return { child, url }
}

test('an Express and a Fastify demo join one fleet and share its budget', async () => {
  const service = `demo-${uniqueSuffix()}`
  const env = {
    HEALTHGATE_FLEET_REDIS_URL: REDIS_URL,
    HEALTHGATE_SERVICE: service,
    HEALTHGATE_MIN_AVAILABLE: '1',
    HEALTHGATE_PANIC_THRESHOLD: '0.5',
  }
  const admin = new Redis(REDIS_URL)
  try {
    const express = await startDemo('express', { ...env, HEALTHGATE_INSTANCE_ID: 'express-1' })
    const fastify = await startDemo('fastify', env)
    expect(express.child.stdout).toMatch(/\/health\/fleet/)
    // Each counts as ready in the fleet once its checks have a result: after a balancer's first probe.
    await waitFor(
      async () => {
        for (const { url } of [express, fastify]) await request(url, '/health/ready')
        return JSON.parse((await request(express.url, '/health/fleet', { headers: auth })).body).ready === 2
      },
      5000,
      50,
    )
    const view = JSON.parse((await request(express.url, '/health/fleet', { headers: auth })).body)
    expect(view).toMatchObject({ service, instanceId: 'express-1', minAvailable: 1, panicThreshold: 0.5 })
    // The default id is the host name and the port (here the pid, as PORT is 0).
    expect(view.instances.map((instance: { id: string }) => instance.id)).toEqual(
      expect.arrayContaining(['express-1', expect.stringMatching(/:pid-\d+$/)]),
    )
    const put = (url: string) =>
      request(url, '/health/maintenance', {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}',
      })
    expect((await put(express.url)).status).toBe(200)
    const refused = await put(fastify.url)
    expect(refused.status).toBe(409)
    expect(JSON.parse(refused.body).error).toMatch(/disruption budget \(minAvailable: 1\)/)
  } finally {
    const keys = await admin.keys(`healthgate:fleet:{${service}}:*`)
    if (keys.length > 0) await admin.del(...keys)
    admin.disconnect()
  }
})

test('a bad HEALTHGATE_MIN_AVAILABLE or HEALTHGATE_PANIC_THRESHOLD stops the demo with a message naming it', async () => {
  for (const [name, value] of [
    ['HEALTHGATE_MIN_AVAILABLE', 'two'],
    ['HEALTHGATE_PANIC_THRESHOLD', '50'],
  ] as const) {
    const child = spawnNode(join(ROOT, 'examples', 'express', 'server.mjs'), {
      PORT: '0',
      HOST: '127.0.0.1',
      HEALTHGATE_FLEET_REDIS_URL: REDIS_URL,
      [name]: value,
    })
    const exit = await child.exited
    expect(exit.code).toBe(1)
    expect(child.stderr).toContain(name)
  }
})
