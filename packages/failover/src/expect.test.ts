import { parseExpect } from './expect.js'

describe('parseExpect', () => {
  test('matches single codes and inclusive ranges', () => {
    const matcher = parseExpect('200-299, 304')
    expect([199, 200, 250, 299, 300, 304, 305].filter((status) => matcher(status))).toEqual([
      200, 250, 299, 304,
    ])
    expect(matcher.source).toBe('200-299,304')
  })

  test('a range of one code is written as the code', () => {
    expect(parseExpect('204-204').source).toBe('204')
  })

  test.each(['', ' ', '2xx', '200-', '-299', '299-200', '099', '600', '200,,204', '200 - 299', 'abc'])(
    'rejects %p with a TypeError naming the option',
    (spec) => {
      expect(() => parseExpect(spec, '--expect')).toThrow(TypeError)
      expect(() => parseExpect(spec, '--expect')).toThrow(/`--expect`/)
    },
  )
})
