/** Decides whether an HTTP status code counts as healthy. */
export interface StatusMatcher {
  (status: number): boolean
  /** The normalised specification, e.g. `'200-299,304'`. */
  readonly source: string
}

const PART = /^(?:([1-5])xx|(\d{3})(?:\s*-\s*(\d{3}))?)$/i

/**
 * Parses a comma-separated list of status codes (`304`), inclusive ranges (`200-299`) and classes
 * (`2xx`) into a matcher, e.g. `parseStatusMatcher('200-299,304')`. Throws a `TypeError` naming `option`
 * for anything else, so a typo never silently accepts every status.
 */
export function parseStatusMatcher(spec: string, option = 'expect'): StatusMatcher {
  const fail = (detail: string): never => {
    throw new TypeError(
      `Expected \`${option}\` to be status codes, ranges or classes such as \`200-299,304\` or \`2xx\`, got \`${typeof spec === 'string' ? spec : String(spec)}\`${detail}`,
    )
  }
  if (typeof spec !== 'string' || spec.trim() === '') fail('')
  const ranges: Array<readonly [number, number]> = []
  for (const raw of spec.split(',')) {
    const match = PART.exec(raw.trim())
    if (!match) return fail(`: cannot read \`${raw.trim()}\``)
    const [, statusClass, from, to] = match
    const low = statusClass === undefined ? Number(from) : Number(statusClass) * 100
    const high = statusClass === undefined ? Number(to ?? from) : low + 99
    if (low < 100 || high > 599) fail(`: status codes range from 100 to 599`)
    if (high < low) fail(`: the range \`${raw.trim()}\` is empty`)
    ranges.push([low, high])
  }
  const source = ranges.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(',')
  const matcher = (status: number): boolean => ranges.some(([low, high]) => status >= low && status <= high)
  return Object.assign(matcher, { source })
}
