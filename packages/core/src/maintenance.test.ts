import { createHandler } from './handler.js'
import { createHealth, type Health } from './health.js'
import { memoryMaintenance, sameMaintenance } from './maintenance.js'
import type { MaintenanceState, MaintenanceStore } from './types.js'

describe('memoryMaintenance', () => {
  it('a throwing subscriber neither rejects set() nor stops the others, and reaches onError', async () => {
    const errors: unknown[] = []
    const store = memoryMaintenance({ onError: (error) => errors.push(error) })
    const seen: string[] = []
    store.subscribe?.(() => {
      throw new Error('listener bug')
    })
    const off = store.subscribe?.((state) => seen.push(`${state.enabled} ${state.reason}`))
    await expect(store.set(true, 'deploy')).resolves.toBeUndefined()
    expect(seen).toEqual(['true deploy'])
    expect(errors).toEqual([new Error('listener bug')])
    off?.()
    await store.set(false)
    expect(seen).toHaveLength(1)
    expect(errors).toHaveLength(2)
  })

  it('rejects unknown options in the one format', () => {
    expect(() => memoryMaintenance({ onErr: () => {} } as never)).toThrow(
      new TypeError(
        'memoryMaintenance(): unknown option `onErr`; did you mean `onError`? Known options: onError',
      ),
    )
    expect(() => memoryMaintenance({ onError: 1 } as never)).toThrow(
      'memoryMaintenance(): expected `onError` to be a function, got number 1',
    )
  })
})

describe('sameMaintenance', () => {
  const base: MaintenanceState = {
    enabled: true,
    reason: 'deploy',
    since: '2026-01-01T00:00:00.000Z',
    source: 'redis',
    scope: 'fleet',
    stale: true,
    note: 'redis unreachable',
  }
  it.each([
    ['enabled', false],
    ['reason', 'other'],
    ['since', '2026-01-02T00:00:00.000Z'],
    ['source', 'file'],
    ['scope', 'instance'],
    ['stale', false],
    ['note', 'other'],
  ])('tells states apart that differ only in `%s`', (field, value) => {
    expect(sameMaintenance(base, { ...base })).toBe(true)
    expect(sameMaintenance(base, { ...base, [field]: value })).toBe(false)
  })
})

describe('a maintenance field changed alone', () => {
  const TOKEN = 'maintenance-field-token'
  // No `subscribe`: the change is only visible through read(), so nothing but the comparison of the
  // states can tell a cached report from a current one.
  let state: MaintenanceState
  const store: MaintenanceStore = { read: () => state, set: async () => {} }
  let health: Health
  beforeEach(() => {
    state = {
      enabled: true,
      reason: 'deploy v1',
      since: '2026-01-01T00:00:00.000Z',
      source: 'file',
      stale: true,
      note: 'cannot read maintenance file: EACCES',
    }
    health = createHealth({
      maintenance: store,
      checks: [{ name: 'x', cacheTtlMs: 60_000, check: async () => {} }],
    })
  })
  afterEach(() => health.close())

  const get = (url: string) => ({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } })

  it.each([
    ['note', 'cannot read maintenance file: EIO'],
    ['source', 'redis'],
    ['since', '2026-02-02T02:02:02.000Z'],
    ['reason', 'deploy v2'],
  ] as const)(
    'shows a new `%s` in the very next response of every route that renders it',
    async (field, value) => {
      const handler = createHandler(health, { adminToken: TOKEN })
      const bodies = async () =>
        Promise.all(
          ['/health', '/health/maintenance', '/health/checks/x'].map(
            async (url) => (await handler.handle(get(url)))?.body ?? '',
          ),
        )
      // Twice, so that the first answers are cached.
      await bodies()
      for (const body of await bodies()) expect(body).not.toContain(value)
      state = { ...state, [field]: value }
      for (const body of await bodies()) expect(body).toContain(value)
    },
  )
})
