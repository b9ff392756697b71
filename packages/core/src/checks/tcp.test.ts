import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createServer, type Server, type Socket } from 'node:net'
import { tcpCheck } from './tcp.js'

let server: Server
let port: number
let accepted: Socket[]

beforeEach(async () => {
  accepted = []
  server = createServer((socket) => {
    accepted.push(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterEach(async () => {
  for (const socket of accepted) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const run = (definition: ReturnType<typeof tcpCheck>, signal = new AbortController().signal) =>
  Promise.resolve(definition.check(signal))

/** Resolves when the server side of `socket` has seen the connection end. */
const ended = (socket: Socket) =>
  new Promise<void>((resolve) => {
    if (socket.destroyed || socket.readableEnded) resolve()
    else socket.once('close', () => resolve())
  })

async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port: free } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return free
}

describe('tcpCheck', () => {
  it('passes when the port accepts a connection, and closes it', async () => {
    const definition = tcpCheck({ host: '127.0.0.1', port })
    expect(definition).toMatchObject({
      name: `127.0.0.1-${port}`,
      critical: true,
      componentType: 'component',
    })
    const connection = once(server, 'connection') as Promise<[Socket]>
    await expect(run(definition)).resolves.toBeUndefined()
    const [socket] = await connection
    // The check hangs up at once instead of leaving the connection open.
    await ended(socket)
    expect(accepted).toHaveLength(1)
  })

  it('fails when nothing listens on the port', async () => {
    const free = await closedPort()
    await expect(run(tcpCheck({ host: '127.0.0.1', port: free }))).rejects.toThrow(
      `TCP connect to 127.0.0.1:${free} failed: ECONNREFUSED`,
    )
  })

  it('gives up with the abort reason when its signal aborts', async () => {
    const controller = new AbortController()
    const reason = new Error('timed out after 10 ms')
    const attempt = run(tcpCheck({ host: '127.0.0.1', port }), controller.signal)
    controller.abort(reason)
    await expect(attempt).rejects.toBe(reason)
  })

  it('does not connect at all when its signal has already aborted', async () => {
    const controller = new AbortController()
    controller.abort(new Error('too late'))
    await expect(run(tcpCheck({ host: '127.0.0.1', port }), controller.signal)).rejects.toThrow('too late')
    await new Promise<void>((resolve) => setTimeout(resolve, 50))
    expect(accepted).toHaveLength(0)
  })

  it('shows IPv6 addresses in brackets', async () => {
    const free = await closedPort()
    await expect(run(tcpCheck({ host: '::1', port: free, name: 'ipv6' }))).rejects.toThrow(
      new RegExp(`^TCP connect to \\[::1\\]:${free} failed: E[A-Z]+$`),
    )
  })

  it.each([
    [{ port: 80 }, /`host` to be a non-empty string, got undefined/],
    [{ host: '', port: 80 }, /`host` to be a non-empty string/],
    [{ host: 'db' }, /`port` to be an integer from 1 to 65535, got undefined/],
    [{ host: 'db', port: 0 }, /`port` to be an integer from 1 to 65535, got number 0/],
    [{ host: 'db', port: 65_536 }, /got number 65536/],
    [{ host: 'db', port: '5432' }, /got the string "5432"/],
    [
      { host: 'db', port: 5432, tags: 'ready' },
      /`tags` to be an array of 'live', 'ready', 'startup', got the string "ready"/,
    ],
    [{ host: 'db', port: 5432, hostname: 'x' }, /^tcpCheck\(\): unknown option `hostname`/],
  ])('rejects bad options %p', (options, message) => {
    expect(() => tcpCheck(options as never)).toThrow(TypeError)
    expect(() => tcpCheck(options as never)).toThrow(message)
  })
})
