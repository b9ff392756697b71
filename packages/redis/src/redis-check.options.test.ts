// Option validation needs no server: a lazyConnect client connects only at its first command.
import { Redis } from 'ioredis'
import { redisCheck } from './index.js'

const clients: Redis[] = []
const lazyClient = () => {
  const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true })
  clients.push(client)
  return client
}
afterAll(() => {
  for (const client of clients.splice(0)) client.disconnect()
})

describe('redisCheck options', () => {
  test('reject a bad target with a TypeError', () => {
    expect(() => redisCheck(null as never)).toThrow(
      'redisCheck(): expected `target` to be `{ client }` with an ioredis Redis or Cluster, got null',
    )
    expect(() => redisCheck({ client: {} as never })).toThrow(
      'redisCheck(): expected `client` to be an ioredis Redis or Cluster',
    )
    const client = lazyClient()
    expect(() => redisCheck({ client }, null as never)).toThrow(
      'redisCheck(): expected the options to be an object, got null',
    )
    expect(() => redisCheck({ client }, { timeoutMs: 'soon' } as never)).toThrow(
      'redisCheck(): expected `timeoutMs` to be a positive number, got the string "soon"',
    )
  })

  test('reject a misspelt option instead of ignoring it', () => {
    const client = lazyClient()
    expect(() => redisCheck({ client }, { timeout: 500 } as never)).toThrow(
      /^redisCheck\(\): unknown option `timeout`; did you mean `timeoutMs`\? Known options: name, critical, /,
    )
  })

  test('defaults: name redis, componentType datastore; check options pass through', () => {
    const client = lazyClient()
    expect(redisCheck({ client })).toMatchObject({ name: 'redis', componentType: 'datastore' })
    expect(redisCheck({ client }, { name: 'cache', timeoutMs: 250, critical: false })).toMatchObject({
      name: 'cache',
      timeoutMs: 250,
      critical: false,
    })
  })
})
