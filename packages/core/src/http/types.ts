// The handler's input and output, framework-neutral: what an adapter builds from its request and writes back.

/** A request header as Node.js gives it: absent, one value, or repeated. */
export type HeaderValue = string | string[] | undefined

/** What the core handler needs of a request, whatever the framework. */
export interface HealthRequest {
  method: string
  /** Request target as received, e.g. `/health/ready?exclude=redis`. */
  url: string
  /** Request headers with lower-case names (as Node, Express and Fastify give them). */
  headers: Readonly<Record<string, HeaderValue>>
  /** Request body: only read for `PUT /health/maintenance`. A Node request stream is fine. */
  body?: string | Uint8Array | AsyncIterable<Uint8Array | string> | null
  /** Remote address, used with the User-Agent to tell load-balancer probers apart. */
  remoteAddress?: string
}

/** What the core handler answers: the adapter writes it as is. */
export interface HealthResponse {
  status: number
  /** Lower-case header names. Shared between responses: do not mutate. */
  headers: Readonly<Record<string, string>>
  /** Empty for HEAD. */
  body: string
}

/** What a route answers: at once when it can (a cached probe, a refusal), else a promise. */
export type RouteAnswer = HealthResponse | Promise<HealthResponse>

/** The first value of a header that may arrive repeated. */
export function firstHeader(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
