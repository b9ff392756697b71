// Taking the request target apart: the mount path, the path below it and the `exclude` query.
import type { OptionReader } from '../primitives/options.js'

/** The mount path without a trailing slash (`'/'` stays `'/'`); throws through `reader` when it is not a path. */
export function normalizeMountPath(reader: OptionReader, path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    return reader.fail('path', "a URL path starting with '/'", path)
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

/** The path of a request target: absolute-form targets (sent to proxies) lose their scheme and host. */
export function stripOrigin(target: string): string {
  if (target.startsWith('/')) return target
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(target)
  return match ? (match[1] ?? '/') : target
}

/** The check names of every `exclude` parameter (comma-separated, repeatable), trimmed and without repeats. */
export function parseExclude(query: string): string[] {
  const names: string[] = []
  for (const [key, value] of new URLSearchParams(query)) {
    if (key !== 'exclude') continue
    for (const name of value.split(',')) {
      const trimmed = name.trim()
      if (trimmed && !names.includes(trimmed)) names.push(trimmed)
    }
  }
  return names
}

/** The method in upper case, as the routes compare it; without a new string for the common ones. */
export function upperCase(method: string): string {
  return method === 'GET' || method === 'HEAD' ? method : method.toUpperCase()
}

/** Client-supplied text quoted in an error answer, cut to a readable length. */
export function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value
}
