// Option validation needs no server: a Pool connects only at its first query.
import pg from 'pg'
import { pgCheck } from './index.js'

const URL = 'postgres://postgres@127.0.0.1:1/test'

describe('pgCheck options', () => {
  test('reject a bad target or option with a TypeError naming it', () => {
    expect(() => pgCheck(null as never)).toThrow(TypeError)
    expect(() => pgCheck({} as never)).toThrow(
      'pgCheck(): expected `target` to be `{ pool }`, `{ client }` or `{ connectionString }`, got an object',
    )
    expect(() => pgCheck({ pool: {} as never })).toThrow('pgCheck(): expected `pool` to be a pg Pool')
    expect(() => pgCheck({ client: {} as never })).toThrow('pgCheck(): expected `client` to be a pg Client')
    expect(() => pgCheck({ connectionString: '' })).toThrow('`connectionString`')
    expect(() => pgCheck({ connectionString: URL }, { query: '' })).toThrow(
      'pgCheck(): expected `query` to be a non-empty string',
    )
    expect(() => pgCheck({ connectionString: URL }, { saturation: 'panic' as never })).toThrow(
      `pgCheck(): expected \`saturation\` to be one of 'warn', 'fail', 'ignore', got the string "panic"`,
    )
    expect(() => pgCheck({ connectionString: URL }, { timeoutMs: -1 })).toThrow(
      'pgCheck(): expected `timeoutMs` to be a positive number, got number -1',
    )
  })

  test('reject a misspelt option instead of ignoring it', () => {
    expect(() => pgCheck({ connectionString: URL }, { timeout: 500 } as never)).toThrow(
      new TypeError(
        `pgCheck(): unknown option \`timeout\`; did you mean \`timeoutMs\`? Known options: name, query, saturation, critical, timeoutMs, cacheTtlMs, intervalMs, tags, failureThreshold, successThreshold, componentType, componentId, measurement`,
      ),
    )
  })

  test('defaults: name postgres, componentType datastore; check options pass through', () => {
    const pool = new pg.Pool({ connectionString: URL })
    const definition = pgCheck({ pool })
    expect(definition).toMatchObject({ name: 'postgres', componentType: 'datastore' })
    const custom = pgCheck(
      { pool },
      { name: 'orders-db', timeoutMs: 300, critical: false, tags: ['ready', 'startup'] },
    )
    expect(custom).toMatchObject({
      name: 'orders-db',
      timeoutMs: 300,
      critical: false,
      tags: ['ready', 'startup'],
    })
  })
})
