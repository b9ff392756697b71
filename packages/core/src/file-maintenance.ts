import { type FSWatcher, readFileSync, statSync, watch } from 'node:fs'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { sameMaintenance } from './maintenance.js'
import { type ErrorHandler, Listeners } from './primitives/listeners.js'
import { optionReader } from './primitives/options.js'
import { describeValue } from './sanitize.js'
import type { MaintenanceState, MaintenanceStore } from './types.js'

/** Options of {@link fileMaintenance}. */
export interface FileMaintenanceOptions {
  /** The flag file: maintenance is on while it exists. Its content (trimmed, first 200 characters) is the reason. */
  path: string
  /** How often the file is looked at, in ms. Changes are usually seen sooner through a file watcher. Default: 250. */
  pollMs?: number
  /** Receives what a subscriber threw; it never stops the poller nor the other subscribers. Default: a process warning. */
  onError?: (error: unknown) => void
}

export interface FileMaintenanceStore extends MaintenanceStore {
  /** Looks at the file now. Never rejects. */
  refresh(): Promise<void>
  /** Stops the poller and the file watcher. */
  close(): void
}

const read = optionReader('fileMaintenance')
const KEYS = Object.keys({
  path: true,
  pollMs: true,
  onError: true,
} satisfies Record<keyof FileMaintenanceOptions, true>)
const MAX_REASON = 200
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g

interface Seen {
  exists: boolean
  mtimeMs?: number
  size?: number
  reason?: string
  error?: string
}

function toReason(content: string): string | undefined {
  const reason = content.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, MAX_REASON).trim()
  return reason === '' ? undefined : reason
}

// Duck-typed: errors from Node's fs do not always pass `instanceof Error` (another realm, e.g. a test VM).
const errorCode = (error: unknown): string | undefined => {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

/**
 * Keeps the maintenance flag in a file, for deploy scripts: `touch` the file to drain the instance,
 * `rm` it to bring it back. `read()` serves a cached value refreshed every `pollMs` (and on file-system
 * events where the platform reports them); the poller is unref'd and stopped by `close()`.
 */
export function fileMaintenance(options: FileMaintenanceOptions): FileMaintenanceStore {
  const given = read.object(options, KEYS)
  if (typeof given.path !== 'string' || given.path.trim() === '') {
    read.fail('path', 'a non-empty string', given.path)
  }
  const path = given.path as string
  const pollMs = read.positiveNumber('pollMs', given.pollMs, 250)
  const listeners = new Listeners<MaintenanceState>(read.func<ErrorHandler>('onError', given.onError))
  let state: MaintenanceState = Object.freeze({ enabled: false, source: 'file' })
  let last: Seen | undefined
  let closed = false
  let inflight: Promise<void> | undefined
  let again = false

  const emit = (next: MaintenanceState): void => {
    if (sameMaintenance(next, state)) return
    state = Object.freeze(next)
    listeners.emit(state)
  }

  const apply = (seen: Seen): void => {
    last = seen
    if (seen.error !== undefined) {
      // An unreadable file says nothing about what the operator wants: keep the last known state.
      emit({ ...state, stale: true, note: `cannot read maintenance file: ${seen.error}` })
      return
    }
    if (!seen.exists) {
      emit({ enabled: false, source: 'file' })
      return
    }
    const since =
      state.enabled && state.since ? state.since : new Date(seen.mtimeMs ?? Date.now()).toISOString()
    const next: MaintenanceState = { enabled: true, source: 'file', since }
    if (seen.reason !== undefined) next.reason = seen.reason
    emit(next)
  }

  const unchanged = (mtimeMs: number, size: number): boolean =>
    last?.exists === true && last.error === undefined && last.mtimeMs === mtimeMs && last.size === size

  const look = async (): Promise<Seen> => {
    try {
      const info = await stat(path)
      if (unchanged(info.mtimeMs, info.size) && last) return last
      const content = await readFile(path, 'utf8')
      return { exists: true, mtimeMs: info.mtimeMs, size: info.size, reason: toReason(content) }
    } catch (error) {
      const code = errorCode(error)
      if (code === 'ENOENT' || code === 'ENOTDIR') return { exists: false }
      return { exists: last?.exists ?? false, error: code ?? 'unknown error' }
    }
  }

  const refresh = (): Promise<void> => {
    if (closed) return Promise.resolve()
    if (inflight) {
      // The look under way may have started before this change (a file is created, then written).
      again = true
      return inflight
    }
    inflight = (async () => {
      do {
        again = false
        const seen = await look()
        if (!closed) apply(seen)
      } while (again && !closed)
    })().finally(() => {
      inflight = undefined
    })
    return inflight
  }

  // The first answer is known before the first request: read once, synchronously.
  try {
    const info = statSync(path)
    apply({
      exists: true,
      mtimeMs: info.mtimeMs,
      size: info.size,
      reason: toReason(readFileSync(path, 'utf8')),
    })
  } catch (error) {
    const code = errorCode(error)
    apply(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? { exists: false }
        : { exists: false, error: code ?? 'unknown error' },
    )
  }

  const timer = setInterval(() => void refresh(), pollMs)
  timer.unref()

  let watcher: FSWatcher | undefined
  try {
    // Watch the directory: the file itself comes and goes. Not every file system reports events; the
    // poller covers those.
    const name = basename(path)
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) void refresh()
    })
    watcher.on('error', () => {
      watcher?.close()
      watcher = undefined
    })
  } catch {
    watcher = undefined
  }

  return {
    read: () => state,
    refresh,
    async set(enabled, reason) {
      if (closed) throw new Error('maintenance store is closed')
      if (typeof enabled !== 'boolean') {
        throw new TypeError(`Expected \`enabled\` to be a boolean, got ${describeValue(enabled)}`)
      }
      if (reason !== undefined && typeof reason !== 'string') {
        throw new TypeError(`Expected \`reason\` to be a string, got ${describeValue(reason)}`)
      }
      if (enabled) await writeFile(path, reason ? `${toReason(reason) ?? ''}\n` : '')
      else await rm(path, { force: true })
      await refresh()
    },
    subscribe: (listener) => listeners.add(listener),
    close() {
      closed = true
      clearInterval(timer)
      watcher?.close()
      watcher = undefined
      listeners.clear()
    },
  }
}
