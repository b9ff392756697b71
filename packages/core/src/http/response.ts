// Building answers: the health+json bodies of reports (rendered once per report) and the JSON of the rest.
import { HEALTH_CONTENT_TYPE, type ServiceMetadata, toHealthJson } from '../render.js'
import type { HealthReport } from '../types.js'
import type { HealthRequest, HealthResponse } from './types.js'
import { upperCase } from './url.js'

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

/** Renders a report into its answer: `(report, detailed, head)`. */
export type ReportRenderer = (report: HealthReport, detailed: boolean, head: boolean) => HealthResponse

interface RenderedPair {
  get: HealthResponse
  head: HealthResponse
}

/**
 * A report is immutable and served to every prober until the next one replaces it, so its two bodies
 * (anonymous and detailed) are serialised once, with their headers, and the same answer objects are
 * returned until the report is dropped (the cache is weak).
 */
export function createReportRenderer(service: ServiceMetadata, retryAfter: string): ReportRenderer {
  const rendered = new WeakMap<HealthReport, { anonymous?: RenderedPair; detailed?: RenderedPair }>()
  return (report, detailed, head) => {
    let entry = rendered.get(report)
    if (!entry) {
      entry = {}
      rendered.set(report, entry)
    }
    const slot = detailed ? 'detailed' : 'anonymous'
    let pair = entry[slot]
    if (!pair) {
      const body = JSON.stringify(toHealthJson(report, service, { detailed }))
      const headers = Object.freeze(healthHeaders(report.httpStatus, Buffer.byteLength(body), retryAfter))
      pair = {
        get: { status: report.httpStatus, headers, body },
        head: { status: report.httpStatus, headers, body: '' },
      }
      entry[slot] = pair
    }
    return head ? pair.head : pair.get
  }
}

function healthHeaders(status: number, length: number, retryAfter: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': HEALTH_CONTENT_TYPE,
    'cache-control': 'no-store',
    'content-length': String(length),
  }
  if (status === 503) headers['retry-after'] = retryAfter
  return headers
}

export function json(status: number, payload: unknown, extra?: Record<string, string>): HealthResponse {
  const body = JSON.stringify(payload)
  return {
    status,
    headers: {
      'content-type': JSON_CONTENT_TYPE,
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(body)),
      ...extra,
    },
    body,
  }
}

export function jsonError(status: number, message: string): HealthResponse {
  return json(status, { status, error: message })
}

export function methodNotAllowed(allow: string): HealthResponse {
  return json(405, { status: 405, error: 'Method not allowed' }, { allow })
}

/** HEAD never carries a body, error answers included; the headers keep the GET body's length. */
export function withoutHeadBody(
  request: HealthRequest,
  response: HealthResponse | undefined,
): HealthResponse | undefined {
  if (response && response.body !== '' && upperCase(request.method) === 'HEAD')
    return { ...response, body: '' }
  return response
}
