import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** How the stub health server answers. */
export interface Behaviour {
  /** Status for GET (and HEAD unless `headStatus`). Default: 200. */
  status: number
  /** Status for HEAD only, e.g. 405 to force the GET fallback. */
  headStatus?: number
  /** Never answer: the request stays open until the client gives up. */
  hang?: boolean
  /** Send headers, then stream the body forever (tests that probes cancel bodies). */
  endlessBody?: boolean
}

export interface HealthStub {
  readonly port: number
  readonly url: string
  behaviour: Behaviour
  /** Methods of every request received, in order. */
  readonly methods: string[]
  /** Requests whose response is neither finished nor closed: a hanging or streaming request the client still holds. */
  pendingRequests(): number
  /** Closes the listener and every connection: the port then refuses connections. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  restart(): Promise<void>
}

const opened: HealthStub[] = []

/** A node:http server on 127.0.0.1 whose answers the test controls. Close with `closeAllStubs()`. */
export async function startHealthStub(behaviour: Partial<Behaviour> = {}): Promise<HealthStub> {
  const methods: string[] = []
  let server: Server | undefined
  let port = 0
  const endless = new Set<ReturnType<typeof setInterval>>()
  let pending = 0

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    methods.push(req.method ?? '')
    pending++
    res.once('close', () => pending--)
    const current = stub.behaviour
    if (current.hang) return
    const status = req.method === 'HEAD' && current.headStatus ? current.headStatus : current.status
    const headers: Record<string, string> = { 'content-type': 'text/plain' }
    if (status >= 300 && status < 400) headers.location = '/broken'
    if (current.endlessBody && req.method === 'GET') {
      res.writeHead(status, headers)
      const pump = setInterval(() => res.write('x'.repeat(1024)), 5)
      endless.add(pump)
      res.on('close', () => {
        clearInterval(pump)
        endless.delete(pump)
      })
      return
    }
    res.writeHead(status, headers)
    res.end(req.method === 'HEAD' ? undefined : `status ${status}\n`)
  }

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer(handle)
      next.once('error', reject)
      next.listen(port, '127.0.0.1', () => {
        next.off('error', reject)
        port = (next.address() as AddressInfo).port
        server = next
        resolve()
      })
    })

  const stub: HealthStub = {
    get port() {
      return port
    },
    get url() {
      return `http://127.0.0.1:${port}/_ping`
    },
    behaviour: { status: 200, ...behaviour },
    methods,
    pendingRequests: () => pending,
    stop: async () => {
      const current = server
      server = undefined
      for (const pump of endless) clearInterval(pump)
      endless.clear()
      if (!current) return
      await new Promise<void>((resolve) => {
        current.close(() => resolve())
        current.closeAllConnections()
      })
    },
    restart: listen,
  }
  await listen()
  opened.push(stub)
  return stub
}

export async function closeAllStubs(): Promise<void> {
  await Promise.all(opened.splice(0).map((stub) => stub.stop()))
}
