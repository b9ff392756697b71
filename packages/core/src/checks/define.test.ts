import { defineCheck } from './define.js'

describe('defineCheck', () => {
  it('assembles a check from a name, a function and options', async () => {
    const close = () => {}
    const definition = defineCheck('queue', async () => ({ observedValue: 3, measurement: 'depth' }), {
      critical: false,
      timeoutMs: 200,
      cacheTtlMs: 2000,
      intervalMs: 5000,
      tags: ['ready', 'startup'],
      failureThreshold: 3,
      successThreshold: 2,
      componentType: 'datastore',
      componentId: 'orders-queue',
      measurement: 'depth',
      close,
    })
    expect(definition).toEqual({
      name: 'queue',
      check: expect.any(Function),
      critical: false,
      timeoutMs: 200,
      cacheTtlMs: 2000,
      intervalMs: 5000,
      tags: ['ready', 'startup'],
      failureThreshold: 3,
      successThreshold: 2,
      componentType: 'datastore',
      componentId: 'orders-queue',
      measurement: 'depth',
      close,
    })
    await expect(definition.check(new AbortController().signal)).resolves.toEqual({
      observedValue: 3,
      measurement: 'depth',
    })
  })

  it('leaves unset options out so that the health defaults apply', () => {
    expect(defineCheck('ping', () => {})).toEqual({
      name: 'ping',
      check: expect.any(Function),
      critical: true,
      componentType: 'component',
    })
  })

  it.each([
    ['', /`name` to be 1-128 letters, digits, '.', '_' or '-', got the string ""/],
    ['a/b', /got the string "a\/b"/],
    ['-leading', /got the string "-leading"/],
    ['x'.repeat(129), /`name` to be 1-128 letters/],
  ])('rejects the name %p', (name, message) => {
    expect(() => defineCheck(name, () => {})).toThrow(TypeError)
    expect(() => defineCheck(name, () => {})).toThrow(message)
  })

  it.each([
    [{ timeoutMs: 0 }, /`timeoutMs` to be a positive number, got number 0/],
    [{ cacheTtlMs: -5 }, /`cacheTtlMs` to be a positive number, got number -5/],
    [{ intervalMs: Number.NaN }, /`intervalMs` to be a positive number, got number NaN/],
    [{ failureThreshold: 0 }, /`failureThreshold` to be a positive integer, got number 0/],
    [{ successThreshold: 2.5 }, /`successThreshold` to be a positive integer, got number 2.5/],
    [
      { tags: ['ready', 'readiness'] },
      /`tags` to be an array of 'live', 'ready', 'startup', got \["ready","readiness"\]/,
    ],
    [{ critical: 1 }, /`critical` to be a boolean, got number 1/],
    [{ componentType: 7 }, /`componentType` to be a string, got number 7/],
    [{ measurement: '' }, /`measurement` to be a non-empty string/],
    [{ close: 'now' }, /`close` to be a function, got the string "now"/],
    [{ name: 'other' }, /^defineCheck\(\): unknown option `name`/],
  ])('rejects bad options %p', (options, message) => {
    expect(() => defineCheck('x', () => {}, options as never)).toThrow(TypeError)
    expect(() => defineCheck('x', () => {}, options as never)).toThrow(message)
  })

  it('rejects a check that is not a function', () => {
    expect(() => defineCheck('x', 'SELECT 1' as never)).toThrow(
      /`check` to be a function, got the string "SELECT 1"/,
    )
  })
})
