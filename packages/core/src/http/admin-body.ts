// The body of `PUT /maintenance`: at most a few KiB of JSON, `{"reason": "...", "force": true}` or nothing.
import { describeValue } from '../sanitize.js'
import { firstHeader, type HealthRequest } from './types.js'
import { truncate } from './url.js'

/** Largest accepted body of `PUT /health/maintenance`, in bytes. */
export const MAX_ADMIN_BODY_BYTES = 4096
const MAX_REASON_LENGTH = 200
// Past this, stop draining an oversized streamed body and let the server drop the connection.
const DRAIN_LIMIT = 1024 * 1024
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

export type ReasonResult = { reason: string | undefined; force?: boolean } | { status: number; error: string }

/** The maintenance reason of a request, or the 4xx status and message that refuse it. */
export async function readReason(request: HealthRequest): Promise<ReasonResult> {
  const length = Number(firstHeader(request.headers['content-length']))
  if (Number.isFinite(length) && length > MAX_ADMIN_BODY_BYTES) return tooLarge()
  let bytes: Uint8Array | 'too-large'
  try {
    bytes = await readBody(request.body)
  } catch {
    // An upload aborted half-way, or a stream that errored: nothing usable arrived.
    return { status: 400, error: 'Could not read the request body' }
  }
  if (bytes === 'too-large') return tooLarge()
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return { status: 400, error: 'Body is not valid UTF-8' }
  }
  if (text.trim() === '') return { reason: undefined }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { status: 400, error: 'Body is not valid JSON' }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { status: 400, error: 'Body must be a JSON object like {"reason": "deploy 1.4.2"}' }
  }
  for (const key of Object.keys(parsed)) {
    if (key !== 'reason' && key !== 'force')
      return {
        status: 400,
        error: `Unknown field "${truncate(key)}"; only "reason" and "force" are accepted`,
      }
  }
  const { reason, force } = parsed as { reason?: unknown; force?: unknown }
  if (force !== undefined && typeof force !== 'boolean')
    return { status: 400, error: `Expected \`force\` to be a boolean, got ${describeValue(force)}` }
  const forced = force === true ? { force } : {}
  if (reason === undefined) return { reason: undefined, ...forced }
  if (typeof reason !== 'string')
    return { status: 400, error: `Expected \`reason\` to be a string, got ${describeValue(reason)}` }
  if (reason.length > MAX_REASON_LENGTH) {
    return {
      status: 400,
      error: `Expected \`reason\` to be at most ${MAX_REASON_LENGTH} characters, got ${reason.length}`,
    }
  }
  if (CONTROL_CHARACTERS.test(reason))
    return { status: 400, error: 'Expected `reason` without control characters' }
  return { reason: reason.trim() || undefined, ...forced }
}

function tooLarge(): ReasonResult {
  return { status: 413, error: `Body exceeds ${MAX_ADMIN_BODY_BYTES} bytes` }
}

async function readBody(body: HealthRequest['body']): Promise<Uint8Array | 'too-large'> {
  if (body === undefined || body === null) return new Uint8Array(0)
  if (typeof body === 'string') {
    const bytes = Buffer.from(body, 'utf8')
    return bytes.length > MAX_ADMIN_BODY_BYTES ? 'too-large' : bytes
  }
  if (body instanceof Uint8Array) return body.length > MAX_ADMIN_BODY_BYTES ? 'too-large' : body
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
    size += buffer.length
    if (size <= MAX_ADMIN_BODY_BYTES) chunks.push(buffer)
    else if (size > DRAIN_LIMIT) break
  }
  return size > MAX_ADMIN_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)
}
