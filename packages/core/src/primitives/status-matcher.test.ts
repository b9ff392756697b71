import { parseStatusMatcher } from './status-matcher.js'

describe('parseStatusMatcher', () => {
  it('matches codes, inclusive ranges and classes', () => {
    const matcher = parseStatusMatcher(' 200-299 , 304,5xx')
    expect(matcher.source).toBe('200-299,304,500-599')
    expect([199, 200, 250, 299, 300, 304, 305, 499, 500, 599].map(matcher)).toEqual([
      false,
      true,
      true,
      true,
      false,
      true,
      false,
      false,
      true,
      true,
    ])
  })

  it('accepts a single code and a single-code range', () => {
    expect(parseStatusMatcher('204').source).toBe('204')
    expect(parseStatusMatcher('204-204')(204)).toBe(true)
    expect(parseStatusMatcher('2XX')(201)).toBe(true)
  })

  it.each([
    ['', /Expected `expect` to be status codes, ranges or classes such as `200-299,304` or `2xx`, got ``$/],
    ['ok', /got `ok`: cannot read `ok`/],
    ['200,', /cannot read ``/],
    ['20', /cannot read `20`/],
    ['2000', /cannot read `2000`/],
    ['600', /status codes range from 100 to 599/],
    ['099-200', /status codes range from 100 to 599/],
    ['299-200', /the range `299-200` is empty/],
    ['6xx', /cannot read `6xx`/],
  ])('rejects %p', (spec, message) => {
    expect(() => parseStatusMatcher(spec)).toThrow(TypeError)
    expect(() => parseStatusMatcher(spec)).toThrow(message)
  })

  it('names the option it was given and rejects non-strings', () => {
    expect(() => parseStatusMatcher('x', 'healthyStatus')).toThrow(/Expected `healthyStatus` to be/)
    expect(() => parseStatusMatcher(200 as never)).toThrow(/got `200`$/)
  })
})
