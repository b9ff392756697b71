import net from 'node:net'

/**
 * A TCP proxy with two modes. `pass` forwards both ways; `blackhole` keeps every connection open, accepts
 * new ones, and silently drops every byte in both directions: the dependency neither answers nor refuses,
 * like a host behind a dropped route. A black hole never heals (dropped bytes would corrupt the
 * protocol), so the benchmark starts a fresh proxy per measurement.
 */
export async function createBlackholeProxy(target) {
  let blackholed = false
  const sockets = new Set()
  const track = (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server = net.createServer((client) => {
    track(client)
    if (blackholed) {
      client.on('data', () => {})
      return
    }
    const upstream = net.connect(target)
    track(upstream)
    client.on('data', (data) => {
      if (!blackholed) upstream.write(data)
    })
    upstream.on('data', (data) => {
      if (!blackholed) client.write(data)
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => {
      // A server hanging up is a packet too: a black hole swallows that as well.
      if (!blackholed) client.destroy()
    })
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    port: server.address().port,
    blackhole() {
      blackholed = true
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
