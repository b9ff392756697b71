// The callback-API objects under mysql2's promise wrappers, and the few pool internals the check reads.
// Structural types: the check works with the object it is given and never loads mysql2 for a borrowed one.
import { checkAbortError, untilAborted } from '@healthgate/core/primitives'

export { describeFailure } from '@healthgate/core/primitives'

export interface CoreConnection {
  ping(callback: (error: unknown) => void): unknown
  destroy(): void
  end(callback?: (error: unknown) => void): unknown
  on(event: string, listener: (...args: unknown[]) => void): unknown
  once(event: string, listener: (...args: unknown[]) => void): unknown
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown
  stream?: { destroy?: () => void }
  release?: () => void
}

interface Queue<T> {
  length: number
  get(index: number): T
}

export interface CorePool {
  getConnection(callback: (error: unknown, connection: CoreConnection) => void): void
  config: { connectionLimit: number }
  _allConnections: Queue<CoreConnection>
  _freeConnections: Queue<CoreConnection>
  _connectionQueue: Queue<unknown>
  _closed?: boolean
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

function isCorePool(value: unknown): value is CorePool {
  return (
    isObject(value) &&
    typeof value.getConnection === 'function' &&
    isObject(value._allConnections) &&
    isObject(value._freeConnections) &&
    isObject(value.config)
  )
}

function isCoreConnection(value: unknown): value is CoreConnection {
  return isObject(value) && typeof value.ping === 'function' && typeof value.addCommand === 'function'
}

/** The callback pool of a mysql2 pool (promise wrappers keep it as `.pool`), or undefined. */
export function corePool(value: unknown): CorePool | undefined {
  if (isCorePool(value)) return value
  if (isObject(value) && isCorePool(value.pool)) return value.pool
  return undefined
}

/** The callback connection of a mysql2 connection (promise wrappers keep it as `.connection`), or undefined. */
export function coreConnection(value: unknown): CoreConnection | undefined {
  if (isCoreConnection(value)) return value
  if (isObject(value) && isCoreConnection(value.connection)) return value.connection
  return undefined
}

export const noop = (): void => {}

export const abortError = checkAbortError

/** Closes a connection at once, without waiting for a server that may never answer. */
export function destroy(connection: CoreConnection): void {
  // A dead connection may still report errors (the pending handshake or ping): never unhandled.
  connection.on('error', noop)
  connection.destroy()
  connection.stream?.destroy?.()
}

/** `COM_PING` on `connection`. */
export function ping(connection: CoreConnection): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    connection.ping((error) => (error ? reject(error) : resolve()))
  })
}

/** Races `work` against `signal`; `onAbort` (called once, at the abort) destroys what the work holds. */
export async function until<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort()
    throw abortError(signal)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await untilAborted(work, signal)
  } catch (error) {
    throw signal.aborted ? abortError(signal) : error
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
