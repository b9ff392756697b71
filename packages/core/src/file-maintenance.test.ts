import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sleep, waitFor } from '../../../test/support/wait.js'
import { type FileMaintenanceStore, fileMaintenance } from './file-maintenance.js'
import type { MaintenanceState } from './types.js'

let dir: string
const stores: FileMaintenanceStore[] = []
const open = (options: Parameters<typeof fileMaintenance>[0]): FileMaintenanceStore => {
  const store = fileMaintenance(options)
  stores.push(store)
  return store
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'healthgate-file-maintenance-'))
})

afterEach(() => {
  for (const store of stores.splice(0)) store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('fileMaintenance', () => {
  test('rejects bad options with errors naming the option', () => {
    expect(() => fileMaintenance({ path: '' })).toThrow(/`path`/)
    expect(() => fileMaintenance({} as never)).toThrow(/`path`/)
    expect(() => fileMaintenance({ path: join(dir, 'flag'), pollMs: 0 })).toThrow(
      'fileMaintenance(): expected `pollMs` to be a positive number, got number 0',
    )
    expect(() => fileMaintenance({ path: join(dir, 'flag'), poll: 10 } as never)).toThrow(
      'fileMaintenance(): unknown option `poll`; did you mean `pollMs`?',
    )
    expect(() => fileMaintenance({ path: join(dir, 'flag'), onError: 'log' } as never)).toThrow(
      'fileMaintenance(): expected `onError` to be a function',
    )
    expect(() => fileMaintenance(null as never)).toThrow(TypeError)
  })

  test('is off while the file does not exist', () => {
    const store = open({ path: join(dir, 'flag') })
    expect(store.read()).toEqual({ enabled: false, source: 'file' })
  })

  test('knows a file that already exists before the first poll, with its content as reason and mtime as since', () => {
    const path = join(dir, 'flag')
    writeFileSync(path, '  deploying v2.3  \n')
    const mtime = new Date('2024-05-01T10:00:00.000Z')
    utimesSync(path, mtime, mtime)
    const store = open({ path, pollMs: 60_000 })
    expect(store.read()).toEqual({
      enabled: true,
      source: 'file',
      reason: 'deploying v2.3',
      since: '2024-05-01T10:00:00.000Z',
    })
  })

  test('an empty file means maintenance without a reason', () => {
    const path = join(dir, 'flag')
    writeFileSync(path, '')
    const store = open({ path })
    expect(store.read().enabled).toBe(true)
    expect(store.read().reason).toBeUndefined()
  })

  test('the reason is trimmed to 200 characters, control characters removed', () => {
    const path = join(dir, 'flag')
    writeFileSync(path, `line one\nline\u0007two ${'x'.repeat(300)}`)
    const reason = open({ path }).read().reason ?? ''
    expect(reason.startsWith('line one line two x')).toBe(true)
    expect(reason).toHaveLength(200)
  })

  test('sees a touch and a removal through the poller alone (directory not watchable)', async () => {
    // The directory does not exist yet, so no watcher can be set up: only polling can notice the file.
    const sub = join(dir, 'later')
    const path = join(sub, 'flag')
    const store = open({ path, pollMs: 50 })
    mkdirSync(sub)
    writeFileSync(path, 'db migration')
    // Without the poller nothing would ever notice (waitFor gives up after 2 s); the bound is loose for busy machines.
    const onAfter = await waitFor(() => store.read().enabled, 2000)
    expect(onAfter).toBeLessThan(1500)
    expect(store.read().reason).toBe('db migration')
    rmSync(path)
    const offAfter = await waitFor(() => !store.read().enabled, 2000)
    expect(offAfter).toBeLessThan(1500)
  })

  test('sees a touch well within pollMs when the directory can be watched', async () => {
    const path = join(dir, 'flag')
    // A poll interval far beyond the bound: only the directory watcher can notice the file in time.
    const store = open({ path, pollMs: 10_000 })
    writeFileSync(path, '')
    const elapsed = await waitFor(() => store.read().enabled, 5000)
    expect(elapsed).toBeLessThan(3000)
  })

  test('a changed reason is picked up while since stays', async () => {
    const path = join(dir, 'flag')
    writeFileSync(path, 'first')
    const store = open({ path, pollMs: 50 })
    const { since } = store.read()
    await sleep(20)
    writeFileSync(path, 'second, longer')
    await waitFor(() => store.read().reason === 'second, longer', 1000)
    expect(store.read().since).toBe(since)
  })

  test('set() writes and removes the file and resolves once read() shows it', async () => {
    const path = join(dir, 'flag')
    const store = open({ path, pollMs: 60_000 })
    await store.set(true, 'rolling deploy')
    expect(store.read()).toMatchObject({ enabled: true, reason: 'rolling deploy', source: 'file' })
    expect(await readFile(path, 'utf8')).toBe('rolling deploy\n')
    await store.set(false)
    expect(store.read()).toEqual({ enabled: false, source: 'file' })
    await expect(readFile(path, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' })
    await store.set(false)
    expect(store.read().enabled).toBe(false)
  })

  test('set() validates its arguments', async () => {
    const store = open({ path: join(dir, 'flag') })
    await expect(store.set('yes' as never)).rejects.toThrow('Expected `enabled` to be a boolean')
    await expect(store.set(true, 5 as never)).rejects.toThrow('Expected `reason` to be a string')
  })

  test('an unreadable flag keeps the last known state, marked stale', async () => {
    const path = join(dir, 'flag')
    writeFileSync(path, 'on')
    const store = open({ path, pollMs: 50 })
    expect(store.read().enabled).toBe(true)
    rmSync(path)
    mkdirSync(path) // reading a directory fails with EISDIR
    await waitFor(() => store.read().stale === true, 1000)
    expect(store.read()).toMatchObject({
      enabled: true,
      reason: 'on',
      note: 'cannot read maintenance file: EISDIR',
    })
    rmSync(path, { recursive: true })
    await waitFor(() => !store.read().enabled, 1000)
    expect(store.read()).toEqual({ enabled: false, source: 'file' })
  })

  test('subscribers hear each change once; a disposed one hears nothing more', async () => {
    const path = join(dir, 'flag')
    const store = open({ path, pollMs: 30 })
    const seen: MaintenanceState[] = []
    const dispose = store.subscribe?.((state) => seen.push(state))
    await store.set(true, 'a')
    await sleep(100)
    expect(seen.map((s) => s.enabled)).toEqual([true])
    dispose?.()
    await store.set(false)
    expect(seen).toHaveLength(1)
  })

  test('a throwing subscriber neither rejects set() nor stops the poller or the others, and reaches onError', async () => {
    const path = join(dir, 'flag')
    const errors: unknown[] = []
    const store = open({ path, pollMs: 20, onError: (error) => errors.push(error) })
    const seen: boolean[] = []
    store.subscribe?.(() => {
      throw new Error('listener bug')
    })
    store.subscribe?.((state) => seen.push(state.enabled))
    await store.set(true)
    expect(seen).toEqual([true])
    expect(errors).toEqual([new Error('listener bug')])
    // The poller still sees what a deploy script does to the file.
    rmSync(path)
    await waitFor(() => seen.length === 2, 1000)
    expect(seen).toEqual([true, false])
    expect(errors).toHaveLength(2)
  })

  test('close() stops watching and polling', async () => {
    const path = join(dir, 'flag')
    const store = open({ path, pollMs: 20 })
    store.close()
    writeFileSync(path, 'after close')
    await sleep(150)
    expect(store.read().enabled).toBe(false)
    await expect(store.set(true)).rejects.toThrow('closed')
  })
})
