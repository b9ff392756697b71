import type { IncomingMessage, ServerResponse } from 'node:http'
import { createHealth, type Health } from './health.js'
import { createNodeListener } from './node.js'

let health: Health
beforeEach(() => {
  health = createHealth({ checks: [{ name: 'db', cacheTtlMs: 60_000, check: async () => {} }] })
})
afterEach(() => health.close())

function fakeRequest(url: string, method = 'GET'): IncomingMessage {
  return { method, url, headers: {}, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage
}

interface Written {
  status?: number
  headers?: Record<string, string>
  body?: string
  destroyed: boolean
}

function fakeResponse(options: { failWriteHead?: boolean } = {}): {
  response: ServerResponse
  written: Written
} {
  const written: Written = { destroyed: false }
  let headersSent = false
  const response = {
    get headersSent() {
      return headersSent
    },
    writeHead(status: number, headers: Record<string, string>) {
      if (options.failWriteHead && status !== 500) throw new Error('write failed')
      headersSent = true
      written.status = status
      written.headers = headers
      return response
    },
    end(body?: string) {
      written.body = body ?? ''
      return response
    },
    destroy() {
      written.destroyed = true
    },
  }
  return { response: response as unknown as ServerResponse, written }
}

describe('createNodeListener', () => {
  it('writes a cached answer before the listener returns, without waiting for a promise', async () => {
    const listener = createNodeListener(health)
    const first = fakeResponse()
    listener(fakeRequest('/health'), first.response)
    // The first request runs the check: answered later.
    expect(first.written.status).toBeUndefined()
    await health.evaluate()
    await new Promise((resolve) => setImmediate(resolve))
    expect(first.written.status).toBe(200)

    const cached = fakeResponse()
    listener(fakeRequest('/health'), cached.response)
    expect(cached.written).toMatchObject({ status: 200, body: first.written.body })
    expect(cached.written.headers?.['content-type']).toBe('application/health+json; charset=utf-8')
  })

  it('passes other paths to next at once, or answers 404 without next', () => {
    const listener = createNodeListener(health)
    const next = jest.fn()
    const passed = fakeResponse()
    listener(fakeRequest('/orders'), passed.response, next)
    expect(next).toHaveBeenCalledWith()
    expect(passed.written.status).toBeUndefined()

    const alone = fakeResponse()
    listener(fakeRequest('/orders'), alone.response)
    expect(alone.written).toMatchObject({ status: 404, body: 'Not Found' })
  })

  it('answers 500 without details when writing the answer throws', async () => {
    const listener = createNodeListener(health)
    await health.evaluate()
    const failing = fakeResponse({ failWriteHead: true })
    listener(fakeRequest('/health'), failing.response)
    expect(failing.written.status).toBe(500)
    expect(JSON.parse(failing.written.body ?? '')).toEqual({ status: 500, error: 'Internal error' })
  })
})
