import { abortReason } from '../primitives/deadline.js'
import { type OptionReader, optionReader } from '../primitives/options.js'
import { describeValue } from '../sanitize.js'
import type { CheckDefinition, CheckOutcome } from '../types.js'
import { type BuiltinCheckOptions, baseDefinition, COMMON_KEYS, checkName, nameFrom } from './common.js'

/** The method an HTTP check sends. */
export type HttpCheckMethod = 'GET' | 'HEAD'

export interface HttpCheckOptions extends BuiltinCheckOptions {
  /** Default: the URL's host name, e.g. `'api.example.com'`. */
  name?: string
  /**
   * The `http:` or `https:` URL to request. Credentials in it (`https://user:pass@host/`) are sent as
   * HTTP Basic authentication and never appear in outputs. Required.
   */
  url: string | URL
  /** Default: `'GET'`. */
  method?: HttpCheckMethod
  /**
   * Which statuses pass: codes, inclusive ranges and classes such as `'200-299,304'` or `'2xx'`, or a
   * function of the status. Redirects are followed first. Default: `'200-299'`.
   */
  expect?: string | ((status: number) => boolean)
  /** Request headers. Default: none. */
  headers?: Record<string, string>
  /** Default: `true`. */
  critical?: boolean
}

const KEYS = ['name', ...COMMON_KEYS, 'url', 'method', 'expect', 'headers']

/** The URL as it may be shown: no credentials, query or fragment, which may carry secrets. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

function parseUrl(read: OptionReader, value: unknown): URL {
  let url: URL | undefined
  if (value instanceof URL) url = new URL(value.href)
  else if (typeof value === 'string' && URL.canParse(value)) url = new URL(value)
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    // Only the credentials are removed: the rest of the URL is what the caller needs to see.
    const shown = value instanceof URL || typeof value === 'string' ? redact(String(value)) : value
    return read.fail('url', 'an http: or https: URL', shown)
  }
  return url
}

/** Removes `user:password@` from anything that looks like a URL in free text. */
function redact(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1')
}

function parseHeaders(read: OptionReader, value: unknown): Headers {
  if (value === undefined) return new Headers()
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return read.fail('headers', 'an object of header names to strings', value)
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') read.fail(`headers.${key}`, 'a string', item)
  }
  try {
    return new Headers(value as Record<string, string>)
  } catch (error) {
    return read.fail('headers', `valid header names and values (${(error as Error).message})`, value)
  }
}

/** Percent-decodes URL userinfo; malformed escapes are sent as written rather than throwing. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

interface ErrorLike {
  message?: unknown
  code?: unknown
  cause?: unknown
}

// Duck-typed: fetch's errors may come from another realm, where `instanceof Error` is false.
const asErrorLike = (value: unknown): ErrorLike | undefined =>
  typeof value === 'object' && value !== null ? (value as ErrorLike) : undefined

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

function fetchFailure(error: unknown): string {
  const outer = asErrorLike(error)
  // fetch rejects with "fetch failed" and keeps the reason (ECONNREFUSED, a TLS error, ...) in `cause`.
  const cause = asErrorLike(outer?.cause)
  return textOf(cause?.message) ?? textOf(cause?.code) ?? textOf(outer?.message) ?? describeValue(error)
}

/**
 * Requests `url` and passes when the status matches `expect`. The request is aborted at the check's
 * deadline and the response body is discarded unread. Critical by default.
 */
export function httpCheck(options: HttpCheckOptions): CheckDefinition {
  const read = optionReader('httpCheck')
  const opts = read.object(options, KEYS)
  const url = parseUrl(read, opts.url)
  const name = checkName(read, opts.name, nameFrom(url.hostname, 'http'))
  const method = read.oneOf<HttpCheckMethod>('method', opts.method, ['GET', 'HEAD'], 'GET')
  const expect = opts.expect
  let matches: (status: number) => boolean
  let expected: string
  if (typeof expect === 'function') {
    matches = expect as (status: number) => boolean
    expected = 'a status accepted by `expect`'
  } else {
    const matcher = read.statusMatcher('expect', expect, '200-299')
    matches = matcher
    expected = matcher.source
  }
  const headers = parseHeaders(read, opts.headers)
  // fetch refuses URLs with credentials; send them the way a browser or curl would.
  if ((url.username || url.password) && !headers.has('authorization')) {
    const user = decode(url.username)
    const password = decode(url.password)
    headers.set('authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`)
  }
  url.username = ''
  url.password = ''
  const target = url.href
  const shown = `${method} ${displayUrl(url)}`
  const base = baseDefinition(read, name, opts, { critical: true, componentType: 'component' })

  const check = async (signal: AbortSignal): Promise<CheckOutcome> => {
    let response: Response
    try {
      response = await fetch(target, { method, headers, signal, redirect: 'follow' })
    } catch (error) {
      if (signal.aborted) throw abortReason(signal)
      throw new Error(redact(`${shown} failed: ${fetchFailure(error)}`), { cause: error })
    }
    try {
      if (!matches(response.status))
        throw new Error(`${shown} answered ${response.status}, expected ${expected}`)
      return { output: `${shown} answered ${response.status}` }
    } finally {
      // An unread body would hold its connection until garbage collection.
      await response.body?.cancel().catch(() => {})
    }
  }

  return { ...base, check }
}
