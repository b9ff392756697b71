import http, { type IncomingHttpHeaders } from 'node:http'

/** One HTTP request to 127.0.0.1 (no keep-alive unless an agent is given); the whole body as text. */
export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export function request(
  port: number,
  path: string,
  options: {
    agent?: http.Agent | false
    headers?: Record<string, string>
    method?: string
    timeoutMs?: number
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: options.agent ?? false,
        headers: options.headers,
        method: options.method ?? 'GET',
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
    req.end()
  })
}
