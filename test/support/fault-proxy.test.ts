import net from 'node:net'
import { cleanupRegistry } from './cleanup.js'
import { createFaultProxy } from './fault-proxy.js'
import { sleep, waitFor } from './wait.js'

// The fault proxy is what the other integration tests trust to produce their faults: prove each mode.

const later = cleanupRegistry()

async function echoServer(): Promise<{ port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  later(server, (s) => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => s.close(() => resolve()))
  })
  return { port: (server.address() as net.AddressInfo).port, sockets }
}

async function connect(port: number) {
  const socket = later(net.connect({ host: '127.0.0.1', port }), (s) => s.destroy())
  const received: Buffer[] = []
  const events: string[] = []
  socket.on('data', (data) => received.push(data))
  socket.on('error', (error: NodeJS.ErrnoException) => events.push(`error ${error.code}`))
  socket.on('close', () => events.push('close'))
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return { socket, text: () => Buffer.concat(received).toString(), events }
}

describe('createFaultProxy', () => {
  test('pass forwards both ways and counts connections and bytes', async () => {
    const echo = await echoServer()
    const proxy = later(await createFaultProxy({ target: { host: '127.0.0.1', port: echo.port } }), (p) =>
      p.close(),
    )
    expect(proxy.mode).toBe('pass')
    const client = await connect(proxy.port)
    client.socket.write('hello')
    await waitFor(() => client.text() === 'hello', 1000)
    expect(proxy.stats).toEqual({ connections: 1, activeConnections: 1, bytesIn: 5, bytesOut: 5 })
    client.socket.end()
    await waitFor(() => proxy.stats.activeConnections === 0, 1000)
  })

  test('latency delays each chunk by latencyMs, in order', async () => {
    const echo = await echoServer()
    const proxy = later(await createFaultProxy({ target: { host: '127.0.0.1', port: echo.port } }), (p) =>
      p.close(),
    )
    proxy.setMode('latency', { latencyMs: 100 })
    const client = await connect(proxy.port)
    const started = performance.now()
    client.socket.write('a')
    client.socket.write('b')
    const elapsed = await waitFor(() => client.text() === 'ab', 1000)
    expect(elapsed).toBeGreaterThanOrEqual(190) // 100 ms each way
    expect(performance.now() - started).toBeLessThan(600)
  })

  test('blackhole accepts and never answers, stalls existing connections, delivers once healed', async () => {
    const echo = await echoServer()
    const proxy = later(await createFaultProxy({ target: { host: '127.0.0.1', port: echo.port } }), (p) =>
      p.close(),
    )
    const existing = await connect(proxy.port)
    proxy.setMode('blackhole')
    existing.socket.write('stalled')
    const fresh = await connect(proxy.port)
    fresh.socket.write('unanswered')
    await sleep(200)
    expect(existing.text()).toBe('')
    expect(fresh.text()).toBe('')
    // The new connection was accepted but not forwarded: the target saw only the first one.
    expect(echo.sockets.size).toBe(1)
    expect(proxy.stats.connections).toBe(2)
    proxy.setMode('pass')
    await waitFor(() => existing.text() === 'stalled' && fresh.text() === 'unanswered', 1000)
  })

  test('reset destroys existing and new connections', async () => {
    const echo = await echoServer()
    const proxy = later(await createFaultProxy({ target: { host: '127.0.0.1', port: echo.port } }), (p) =>
      p.close(),
    )
    const existing = await connect(proxy.port)
    proxy.setMode('reset')
    await waitFor(() => existing.events.includes('close'), 1000)
    expect(existing.events).toContain('error ECONNRESET')
    const socket = later(net.connect({ host: '127.0.0.1', port: proxy.port }), (s) => s.destroy())
    const closed = new Promise<string>((resolve) => {
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
      socket.on('close', () => resolve('close'))
    })
    expect(await closed).toBe('ECONNRESET')
    expect(proxy.stats.activeConnections).toBe(0)
  })

  test('close() destroys every connection and stops listening', async () => {
    const echo = await echoServer()
    const proxy = await createFaultProxy({ target: { host: '127.0.0.1', port: echo.port } })
    const client = await connect(proxy.port)
    await proxy.close()
    await waitFor(() => client.events.includes('close'), 1000)
    await waitFor(() => echo.sockets.size === 0, 1000)
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: proxy.port })
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
      socket.on('connect', () => {
        socket.destroy()
        resolve('connected')
      })
    })
    expect(refused).toBe('ECONNREFUSED')
  })
})
