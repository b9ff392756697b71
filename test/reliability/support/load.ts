import http from 'node:http'

export interface LoadResult {
  /** Responses per status code. */
  statuses: Map<number, number>
  /** Requests that failed without a response (socket errors). */
  errors: number
}

/**
 * Sends `count` GET requests for `path` over `agent`, `concurrency` at a time (each worker sends its next
 * request when the previous response ended), reading every body to the end.
 */
export async function sendRequests(options: {
  agent: http.Agent
  port: number
  path: string
  count: number
  concurrency: number
}): Promise<LoadResult> {
  const { agent, port, path, count, concurrency } = options
  const statuses = new Map<number, number>()
  let errors = 0
  let started = 0
  const once = () =>
    new Promise<void>((done) => {
      const request = http.get({ agent, host: '127.0.0.1', port, path }, (response) => {
        response.resume()
        response.on('end', () => {
          const status = response.statusCode ?? 0
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          done()
        })
        response.on('error', () => {
          errors++
          done()
        })
      })
      request.on('error', () => {
        errors++
        done()
      })
    })
  const worker = async () => {
    while (started < count) {
      started++
      await once()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { statuses, errors }
}

export const describeStatuses = (statuses: Map<number, number>): Record<string, number> =>
  Object.fromEntries([...statuses].sort(([a], [b]) => a - b).map(([status, n]) => [String(status), n]))
