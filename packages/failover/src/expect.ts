/** Decides whether an HTTP status code counts as healthy. */
export interface StatusMatcher {
  (status: number): boolean
  /** The normalised specification, e.g. `'200-299,304'`. */
  readonly source: string
}

const PART = /^(\d{3})(?:-(\d{3}))?$/

/**
 * Parses a list of status codes and inclusive ranges such as `'200-299,304'` into a matcher.
 * Throws a `TypeError` naming `option` for anything else, so a typo never silently accepts every status.
 */
export function parseExpect(spec: string, option = 'expect'): StatusMatcher {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new TypeError(
      `Expected \`${option}\` to be status codes or ranges like \`200-299,304\`, got \`${String(spec)}\``,
    )
  }
  const ranges: Array<readonly [number, number]> = []
  for (const raw of spec.split(',')) {
    const part = raw.trim()
    const match = PART.exec(part)
    const low = Number(match?.[1])
    const high = match?.[2] === undefined ? low : Number(match[2])
    if (!match || low < 100 || high > 599 || high < low) {
      throw new TypeError(
        `Expected \`${option}\` to be status codes (100-599) or ranges like \`200-299,304\`, got \`${spec}\``,
      )
    }
    ranges.push([low, high])
  }
  const source = ranges.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(',')
  const matcher = (status: number) => ranges.some(([low, high]) => status >= low && status <= high)
  return Object.assign(matcher, { source })
}
