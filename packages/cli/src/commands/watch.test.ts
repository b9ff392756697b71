import type { FailoverEvent } from '@healthgate/failover'
import { formatEvent, parseEndpoint, parseServe } from './watch.js'

describe('parseEndpoint', () => {
  test('splits name, health URL and connect URL', () => {
    expect(
      parseEndpoint('primary=https://primary.example.com/_ping,wss://primary.example.com/primary'),
    ).toEqual({
      name: 'primary',
      healthUrl: 'https://primary.example.com/_ping',
      connectUrl: 'wss://primary.example.com/primary',
    })
  })

  test('a comma inside the health URL query does not split it', () => {
    expect(parseEndpoint('a=https://a.example/health?exclude=db,cache,tcp://a.example:5000')).toEqual({
      name: 'a',
      healthUrl: 'https://a.example/health?exclude=db,cache',
      connectUrl: 'tcp://a.example:5000',
    })
  })
})

describe('parseServe', () => {
  test.each([
    ['8080', { host: '127.0.0.1', port: 8080 }],
    ['0', { host: '127.0.0.1', port: 0 }],
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
  ])('%p', (text, expected) => {
    expect(parseServe(text)).toEqual(expected)
  })
})

test('formatEvent marks failbacks', () => {
  const event: FailoverEvent = {
    type: 'switch',
    from: 'secondary',
    to: 'primary',
    connectUrl: 'wss://p.example/',
    failback: true,
    reason: 'primary passed 2 consecutive checks',
    at: '2030-01-01T00:00:00.000Z',
  }
  expect(formatEvent(event)).toBe(
    '2030-01-01T00:00:00.000Z switch (failback) secondary -> primary wss://p.example/: primary passed 2 consecutive checks',
  )
})
