import { createServer, type Server } from 'node:net'

/**
 * `count` distinct free TCP ports on `host`, for servers that must be told their port up front (child
 * processes, HAProxy). The listeners are held open together so the ports differ, then released: a port could
 * still be taken by someone else before it is used, which on a test machine is rare enough.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1) {
    throw new TypeError(`Expected \`count\` to be a positive integer, got \`${String(count)}\``)
  }
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, host, () => resolve())
      })
    }
    return servers.map((server) => {
      const address = server.address()
      if (address === null || typeof address === 'string') throw new Error('Expected a TCP address')
      return address.port
    })
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  }
}

/** One free TCP port on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host)
  if (port === undefined) throw new Error('No free port')
  return port
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago): connections to it are refused. */
export async function closedPort(): Promise<number> {
  const [port] = await freePorts(1)
  return port as number
}
