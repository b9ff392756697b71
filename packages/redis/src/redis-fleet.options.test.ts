import { redisFleet } from './redis-fleet.js'

const client = { status: 'ready', eval: async () => [0, []] }

describe('redisFleet options', () => {
  test.each([
    [{ service: 's' }, /`client`/],
    [{ client, service: '' }, /`service`.*non-empty string/],
    [{ client, service: 's', minAvailable: -1 }, /`minAvailable`.*count.*percentage/],
    [{ client, service: 's', minAvailable: '150%' }, /`minAvailable`/],
    [{ client, service: 's', minAvailable: 'two' }, /`minAvailable`/],
    [{ client, service: 's', panicThreshold: 1.5 }, /`panicThreshold`.*ratio/],
    [{ client, service: 's', intervalMs: 1000, ttlMs: 1000 }, /`ttlMs`.*more than intervalMs/],
    [{ client: { status: 'ready' }, service: 's' }, /`client`.*ioredis/],
  ])('%j is refused with a TypeError naming the option', (options, message) => {
    expect(() => redisFleet(options as never)).toThrow(TypeError)
    expect(() => redisFleet(options as never)).toThrow(message)
  })

  test('a count, a percentage and a threshold are accepted', () => {
    for (const minAvailable of [0, 3, '50%', ' 66.5 % ']) {
      expect(redisFleet({ client, service: 's', minAvailable, panicThreshold: 0.5 }).service).toBe('s')
    }
  })
})
