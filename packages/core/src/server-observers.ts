// `request` listeners that watch every request without answering it (the shutdown's in-flight tracking).
// The fast path (attachHealth) still calls them for the requests it answers itself.

const observers = new WeakSet<object>()

/** Marks a `request` listener as one that must see every request, including fast-path ones. */
export function markRequestObserver<T extends object>(listener: T): T {
  observers.add(listener)
  return listener
}

/** Whether `listener` was marked with {@link markRequestObserver}. */
export function isRequestObserver(listener: unknown): boolean {
  return typeof listener === 'function' && observers.has(listener)
}
