import { parseStatusMatcher, type StatusMatcher } from '@healthgate/core/primitives'
import { UsageError } from './errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/

/** `'500ms'`, `'2s'`, `'1.5s'`, `'1m'`, `'1h'` or a plain number of milliseconds -> milliseconds (> 0). */
export function parseDuration(text: string, flag: string, command?: string): number {
  const match = DURATION.exec(text.trim())
  const ms = match ? Math.round(Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1)) : Number.NaN
  if (!(ms > 0) || !Number.isSafeInteger(ms)) {
    throw new UsageError(
      `invalid duration for ${flag}: '${text}' (use e.g. 500ms, 2s, 1m, or a plain number of milliseconds)`,
      command,
    )
  }
  return ms
}

/** Milliseconds as the shortest readable duration: `500 ms`, `2 s`, `1.5 s`, `2 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(1))} s`
  return `${ms / 60_000} min`
}

export function parsePositiveInteger(text: string, flag: string, command?: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`invalid value for ${flag}: '${text}' (expected a positive integer)`, command)
  }
  return value
}

/** An http(s) URL, or a usage error naming the flag. */
export function parseHttpUrl(text: string, flag: string, command?: string): URL {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`invalid URL for ${flag}: '${redact(text)}' (expected http:// or https://)`, command)
  }
  return url
}

/** Any absolute URL (connection URLs may be `wss://`, `tcp://`, ...). */
export function parseAnyUrl(text: string, flag: string, command?: string): URL {
  try {
    return new URL(text)
  } catch {
    throw new UsageError(`invalid URL for ${flag}: '${redact(text)}' (expected an absolute URL)`, command)
  }
}

export function parseMethod(text: string, flag: string, command?: string): 'HEAD' | 'GET' {
  const method = text.toUpperCase()
  if (method !== 'HEAD' && method !== 'GET') {
    throw new UsageError(`invalid value for ${flag}: '${text}' (expected HEAD or GET)`, command)
  }
  return method
}

/** The one status grammar of every healthgate package: codes, `2xx` classes, ranges, lists. */
export function parseExpectFlag(text: string, flag: string, command?: string): StatusMatcher {
  try {
    return parseStatusMatcher(text, flag)
  } catch (error) {
    const message = (error as Error).message
    throw new UsageError(`${message.charAt(0).toLowerCase()}${message.slice(1)}`, command)
  }
}

/** The URL without its password, for messages and logs. */
export function redact(text: string): string {
  try {
    const url = new URL(text)
    if (!url.password) return text
    url.password = '***'
    return url.href
  } catch {
    return text.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@')
  }
}

/**
 * The instance URL of a command, given positionally or as `--url` (one of them; both only when equal), or a
 * usage error that shows both forms.
 */
export function readTargetUrl(
  flag: string | undefined,
  positional: string | undefined,
  command: string,
  example = 'http://127.0.0.1:3000/health',
): URL {
  if (flag !== undefined && positional !== undefined && flag !== positional) {
    throw new UsageError(
      `the URL is given twice ('${redact(positional)}' and --url '${redact(flag)}')`,
      command,
    )
  }
  const text = flag ?? positional
  if (text === undefined) {
    throw new UsageError(`missing <url> (as an argument or --url, e.g. ${example})`, command)
  }
  return parseHttpUrl(text, flag !== undefined ? '--url' : '<url>', command)
}
