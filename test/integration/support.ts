import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createNodeListener, type HandlerOptions, type Health } from '@healthgate/core'

export const ADMIN_TOKEN = 'integration-admin-token'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `condition` every 5 ms; resolves with the time it took, rejects after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now()
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(5)
  }
  return performance.now() - started
}

export interface TestServer {
  url: string
  get(path: string, token?: string): Promise<{ status: number; body: string; ms: number }>
  request(
    method: string,
    path: string,
    token?: string,
    body?: string,
  ): Promise<{ status: number; body: string }>
  close(): Promise<void>
}

/** Serves the health routes on a loopback port, as an application would. */
export async function serve(health: Health, options: HandlerOptions = {}): Promise<TestServer> {
  const server = http.createServer(createNodeListener(health, { adminToken: ADMIN_TOKEN, ...options }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const request = async (method: string, path: string, token?: string, body?: string) => {
    const init: RequestInit = { method, headers: token ? { authorization: `Bearer ${token}` } : {} }
    if (body !== undefined) init.body = body
    const response = await fetch(`${url}${path}`, init)
    return { status: response.status, body: await response.text() }
  }
  return {
    url,
    request,
    async get(path, token) {
      const started = performance.now()
      const response = await request('GET', path, token)
      return { ...response, ms: performance.now() - started }
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Registers cleanups to run after each test, last registered first. */
export function cleanupRegistry() {
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return <T>(value: T, cleanup: (value: T) => unknown): T => {
    cleanups.push(() => cleanup(value))
    return value
  }
}
