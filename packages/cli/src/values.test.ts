import { formatDuration, parseDuration, parseHttpUrl, parsePositiveInteger, redact } from './values.js'

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['250', 250],
    [' 3s ', 3000],
  ])('%p -> %p ms', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms)
  })

  test.each(['', 's', '2 s', '-1s', '0', '0ms', '2d', '1e3', 'abc', '0.0001ms'])(
    '%p is rejected naming the flag',
    (text) => {
      expect(() => parseDuration(text, '--interval', 'watch')).toThrow(
        expect.objectContaining({
          name: 'UsageError',
          command: 'watch',
          message: expect.stringContaining('--interval'),
        }),
      )
    },
  )
})

test('formatDuration picks a readable unit', () => {
  expect(formatDuration(250)).toBe('250 ms')
  expect(formatDuration(2000)).toBe('2 s')
  expect(formatDuration(1500)).toBe('1.5 s')
  expect(formatDuration(120_000)).toBe('2 min')
  expect(formatDuration(90_000)).toBe('90 s')
})

test('parsePositiveInteger', () => {
  expect(parsePositiveInteger('9', '--failure-threshold')).toBe(9)
  for (const bad of ['0', '-1', '1.5', 'x', '']) {
    expect(() => parsePositiveInteger(bad, '--failure-threshold')).toThrow('--failure-threshold')
  }
})

test('parseHttpUrl accepts http and https only', () => {
  expect(parseHttpUrl('https://a.example/health', '--url').href).toBe('https://a.example/health')
  expect(() => parseHttpUrl('wss://a.example/', '--url')).toThrow("invalid URL for --url: 'wss://a.example/'")
})

test('redact hides passwords in parsable and unparsable URLs', () => {
  expect(redact('https://u:p4ss@a.example/x')).toBe('https://u:***@a.example/x')
  expect(redact('https://a.example/x')).toBe('https://a.example/x')
  expect(redact('weird://u:p4ss@[bad')).toBe('weird://u:***@[bad')
})
