/**
 * Registers cleanups to run after each test, last registered first:
 * `const later = cleanupRegistry(); const pool = later(new Pool(), (p) => p.end())`.
 */
export function cleanupRegistry() {
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return <T>(value: T, cleanup: (value: T) => unknown): T => {
    cleanups.push(() => cleanup(value))
    return value
  }
}
