// Failed admin authentication, counted per remote address, so that a token cannot be guessed at network speed.

export interface AuthThrottle {
  /** Milliseconds the address must still wait (0: it may try). Checked before the token is looked at. */
  blockedFor(address: string, now: number): number
  /** Counts one failed attempt; the one that exhausts the budget blocks the address for `windowMs` and is logged. */
  failed(address: string, now: number): void
  /** A successful attempt clears the address's count. */
  succeeded(address: string): void
  /** Addresses tracked, for tests of the bound. */
  readonly size: number
}

interface Entry {
  failures: number
  windowStart: number
  blockedUntil: number
}

/** Far above the admin clients of one instance; an attacker spreading over more addresses only evicts its own. */
export const MAX_THROTTLED_ADDRESSES = 4096

/** `onBlocked` hears of each address as it gets blocked (the handler reports it as an admin event). */
export function createAuthThrottle(
  limit: number,
  windowMs: number,
  onBlocked: (address: string, blockedForMs: number, failures: number) => void = () => {},
): AuthThrottle {
  const entries = new Map<string, Entry>()
  const expired = (entry: Entry, now: number) =>
    now >= entry.blockedUntil && now - entry.windowStart >= windowMs
  return {
    blockedFor(address, now) {
      const entry = entries.get(address)
      return entry === undefined || now >= entry.blockedUntil ? 0 : entry.blockedUntil - now
    },
    failed(address, now) {
      let entry = entries.get(address)
      if (entry === undefined || expired(entry, now)) {
        if (entry === undefined && entries.size >= MAX_THROTTLED_ADDRESSES) makeRoom(entries, now, expired)
        entry = { failures: 0, windowStart: now, blockedUntil: 0 }
        entries.set(address, entry)
      }
      entry.failures++
      if (entry.failures >= limit && now >= entry.blockedUntil) {
        entry.blockedUntil = now + windowMs
        // Restarts the count: after the block, the address gets a fresh budget.
        entry.failures = 0
        entry.windowStart = now
        onBlocked(address, windowMs, limit)
      }
    },
    succeeded(address) {
      const entry = entries.get(address)
      if (entry !== undefined && entry.blockedUntil === 0) entries.delete(address)
    },
    get size() {
      return entries.size
    },
  }
}

function makeRoom(
  entries: Map<string, Entry>,
  now: number,
  expired: (entry: Entry, now: number) => boolean,
): void {
  // The oldest entries come first (insertion order): look at a few of them only, so that a failure stays
  // cheap while the table is full.
  let looked = 0
  for (const [address, entry] of entries) {
    if (++looked > 16) break
    if (expired(entry, now)) entries.delete(address)
  }
  if (entries.size >= MAX_THROTTLED_ADDRESSES) {
    const first = entries.keys().next()
    if (!first.done) entries.delete(first.value)
  }
}
