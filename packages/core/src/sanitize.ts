const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi
const KEY_VALUE_SECRETS = /\b(password|passwd|pwd|token|secret)=([^\s&;]+)/gi
const MAX_OUTPUT = 500

/**
 * Makes an error or message safe to show: first line only (never a stack trace), credentials in URLs
 * and `password=` pairs removed, bounded length.
 */
export function sanitizeOutput(value: unknown): string {
  let text: string
  if (isErrorLike(value)) text = value.message || value.name
  else if (typeof value === 'string') text = value
  else text = describeValue(value)
  const firstLine = text.split(/\r?\n/, 1)[0] ?? ''
  const clean = firstLine.replace(URL_CREDENTIALS, '$1***@').replace(KEY_VALUE_SECRETS, '$1=***').trim()
  return clean.length > MAX_OUTPUT ? `${clean.slice(0, MAX_OUTPUT - 1)}…` : clean
}

/** A short description of any value for an error message (type and a bounded preview, never a secret-sized dump). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.slice(0, 100))}`
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`
    case 'undefined':
      return 'undefined'
    case 'function':
      return 'a function'
    case 'symbol':
      return 'a symbol'
    default:
      return 'an object'
  }
}

/** `instanceof Error` fails for errors from another realm (vm contexts, test sandboxes, some fetch errors). */
export function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Error).message === 'string' &&
      typeof (value as Error).name === 'string')
  )
}
