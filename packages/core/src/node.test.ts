import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { createHealth, type Health } from './health.js'
import { createNodeListener, remoteAddressOf, toHealthRequest, tuneForLoadBalancer } from './node.js'

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

describe('option validation', () => {
  it('names createNodeListener in the errors of the handler options it is given', () => {
    expect(() => createNodeListener(health, { path: 'health' })).toThrow(
      /^createNodeListener\(\): expected `path` to be a URL path/,
    )
    expect(() => createNodeListener(health, { details: 'all' } as never)).toThrow(
      /^createNodeListener\(\): expected `details`/,
    )
    expect(() => createNodeListener(health, { paht: '/x' } as never)).toThrow(
      /^createNodeListener\(\): unknown option `paht`; did you mean `path`\?/,
    )
  })

  it('checks the options of tuneForLoadBalancer', () => {
    const server = { keepAliveTimeout: 5000, headersTimeout: 60_000 }
    expect(tuneForLoadBalancer(server, { idleTimeoutSeconds: 350 }).keepAliveTimeout).toBe(355_000)
    expect(() => tuneForLoadBalancer(server, { idleTimeout: 60 } as never)).toThrow(
      new TypeError(
        'tuneForLoadBalancer(): unknown option `idleTimeout`; did you mean `idleTimeoutSeconds`? ' +
          'Known options: idleTimeoutSeconds',
      ),
    )
    expect(() => tuneForLoadBalancer(server, { idleTimeoutSeconds: 0 })).toThrow(
      /^tuneForLoadBalancer\(\): expected `idleTimeoutSeconds` to be a positive number/,
    )
  })
})

describe('remoteAddressOf', () => {
  function countingSocket(addresses: Array<string | undefined>): { socket: Socket; reads: () => number } {
    let reads = 0
    const socket = {
      get remoteAddress() {
        const address = addresses[Math.min(reads, addresses.length - 1)]
        reads++
        return address
      },
    } as unknown as Socket
    return { socket, reads: () => reads }
  }

  it("reads a socket's peer address once, however many requests it carries", () => {
    const { socket, reads } = countingSocket(['10.0.0.7'])
    expect(remoteAddressOf(socket)).toBe('10.0.0.7')
    expect(remoteAddressOf(socket)).toBe('10.0.0.7')
    expect(remoteAddressOf(socket)).toBe('10.0.0.7')
    expect(reads()).toBe(1)
  })

  it('keeps each socket its own address', () => {
    const first = countingSocket(['10.0.0.1'])
    const second = countingSocket(['::1'])
    expect(remoteAddressOf(first.socket)).toBe('10.0.0.1')
    expect(remoteAddressOf(second.socket)).toBe('::1')
    expect(remoteAddressOf(first.socket)).toBe('10.0.0.1')
  })

  it('answers undefined without a socket or an address, and does not keep a missing address', () => {
    expect(remoteAddressOf(undefined)).toBeUndefined()
    expect(remoteAddressOf(null)).toBeUndefined()
    const { socket, reads } = countingSocket([undefined, '10.0.0.9'])
    expect(remoteAddressOf(socket)).toBeUndefined()
    expect(remoteAddressOf(socket)).toBe('10.0.0.9')
    expect(reads()).toBe(2)
  })

  it('gives toHealthRequest the address of the request socket', () => {
    const { socket } = countingSocket(['192.0.2.4'])
    const request = { method: 'GET', url: '/health', headers: {}, socket } as unknown as IncomingMessage
    expect(toHealthRequest(request).remoteAddress).toBe('192.0.2.4')
  })
})
