// Runtime-neutral like monitor.ts: the primitives subpath of the core is Node-free.
import {
  type ErrorHandler,
  optionReader,
  type StatusMatcher,
  unknownOptionMessage,
} from '@healthgate/core/primitives'
import type { FetchLike, ProbeMethod } from './probe.js'

export interface FailoverConfig {
  endpoints: Array<{ name: string; healthUrl: string; connectUrl: string }>
  intervalMs: number
  timeoutMs: number
  failureThreshold: number
  successThreshold: number
  method: ProbeMethod
  accepts: StatusMatcher
  failback: boolean
  jitter: number
  fetch: FetchLike
  onError: ErrorHandler | undefined
}

const KEYS = [
  'endpoints',
  'intervalMs',
  'timeoutMs',
  'failureThreshold',
  'successThreshold',
  'method',
  'expect',
  'failback',
  'jitter',
  'fetch',
  'onError',
]
const ENDPOINT_KEYS = ['name', 'healthUrl', 'connectUrl']

const read = optionReader('createFailover')

function parseUrl(option: string, value: unknown, httpOnly: boolean): string {
  let url: URL | undefined
  if (value instanceof URL || typeof value === 'string') {
    try {
      url = new URL(String(value))
    } catch {
      url = undefined
    }
  }
  if (!url || (httpOnly && url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return read.fail(option, httpOnly ? 'an http(s) URL' : 'a URL', value instanceof URL ? value.href : value)
  }
  return String(value)
}

function readEndpoints(value: unknown): FailoverConfig['endpoints'] {
  if (!Array.isArray(value) || value.length < 2) {
    return read.fail('endpoints', 'an array of at least two endpoints', value)
  }
  const names = new Set<string>()
  return value.map((endpoint: unknown, index) => {
    const at = `endpoints[${index}]`
    if (typeof endpoint !== 'object' || endpoint === null || Array.isArray(endpoint)) {
      return read.fail(at, 'an object', endpoint)
    }
    for (const key of Object.keys(endpoint)) {
      if (!ENDPOINT_KEYS.includes(key)) {
        const known = ENDPOINT_KEYS.map((known) => `${at}.${known}`)
        throw new TypeError(unknownOptionMessage('createFailover():', `${at}.${key}`, known))
      }
    }
    const { name, healthUrl, connectUrl } = endpoint as Record<string, unknown>
    if (typeof name !== 'string' || name.trim() === '')
      return read.fail(`${at}.name`, 'a non-empty string', name)
    if (names.has(name)) read.fail(`${at}.name`, 'unique among the endpoints', name)
    names.add(name)
    return {
      name,
      healthUrl: parseUrl(`${at}.healthUrl`, healthUrl, true),
      connectUrl: parseUrl(`${at}.connectUrl`, connectUrl, false),
    }
  })
}

/** Validates `createFailover()`'s options and fills in the defaults. */
export function readFailoverOptions(options: unknown): FailoverConfig {
  if (options === undefined) read.fail('options', 'an object with `endpoints`', options)
  const opts = read.object(options, KEYS)
  const endpoints = readEndpoints(opts.endpoints)
  const intervalMs = read.positiveNumber('intervalMs', opts.intervalMs, 10_000)
  const timeoutMs = read.positiveNumber('timeoutMs', opts.timeoutMs, Math.min(2000, intervalMs / 2))
  if (timeoutMs >= intervalMs) read.fail('timeoutMs', `below \`intervalMs\` (${intervalMs})`, timeoutMs)
  const jitter = opts.jitter ?? 0.1
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1)) {
    read.fail('jitter', 'a number from 0 up to (not including) 1', jitter)
  }
  const fetchImpl = opts.fetch ?? (globalThis.fetch as FetchLike | undefined)
  if (typeof fetchImpl !== 'function') {
    read.fail('fetch', 'a function (this runtime has no global fetch)', fetchImpl)
  }
  return {
    endpoints,
    intervalMs,
    timeoutMs,
    failureThreshold: read.positiveInteger('failureThreshold', opts.failureThreshold, 3),
    successThreshold: read.positiveInteger('successThreshold', opts.successThreshold, 2),
    method: read.oneOf<ProbeMethod>('method', opts.method, ['HEAD', 'GET'], 'HEAD'),
    accepts: read.statusMatcher('expect', opts.expect, '200-399'),
    failback: read.boolean('failback', opts.failback, true),
    jitter: jitter as number,
    fetch: fetchImpl as FetchLike,
    onError: read.func<ErrorHandler>('onError', opts.onError),
  }
}
