/**
 * Two rules over the source files of every package (packages/*\/src, tests excluded), checked by
 * test/support/source-rules.ts: no import cycle, and no file longer than 400 lines.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { checkSource as check } from '../support/source-rules.js'
import { ROOT } from '../support/spawn.js'

describe('the source files of every package', () => {
  const report = check(ROOT)

  test('are all found', () => {
    // Every package, and more than the handful a broken scan would find.
    expect(report.files).toBeGreaterThan(40)
  })

  test('import no cycle (relative and @healthgate/* imports, type-only included)', () => {
    expect(report.cycles.map((cycle) => cycle.join(' -> '))).toEqual([])
  })

  test('are at most 400 lines long', () => {
    expect(report.maxLines).toBe(400)
    expect(report.longFiles.map(({ file, lines }) => `${file}: ${lines} lines`)).toEqual([])
  })
})

describe('checkSource', () => {
  let root: string
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'healthgate-check-source-'))
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  test('finds a cycle through type-only, index and cross-package imports, and ignores tests', () => {
    write('packages/a/src/index.ts', "export { b } from './b.js'\n")
    write('packages/a/src/b.ts', "import type { C } from './c'\nexport const b = 1\n")
    write('packages/a/src/c/index.ts', "import { x } from '@healthgate/x/sub'\nexport type C = typeof x\n")
    write('packages/x/src/sub/index.ts', "import { b } from '@healthgate/a'\nexport const x = b\n")
    write('packages/a/src/d.ts', "import { e } from './e.js'\nexport const d = e\n")
    write('packages/a/src/e.ts', "import 'node:fs'\nexport const e = 1\n")
    write('packages/a/src/e.test.ts', "import { d } from './d.js'\nimport './e.js'\n")
    expect(check(root)).toEqual({
      files: 6,
      maxLines: 400,
      cycles: [
        [
          'packages/a/src/b.ts',
          'packages/a/src/c/index.ts',
          'packages/x/src/sub/index.ts',
          'packages/a/src/index.ts',
          'packages/a/src/b.ts',
        ],
      ],
      longFiles: [],
    })
  })

  test('names each file over 400 lines, and only those', () => {
    write('packages/a/src/long.ts', 'export const a = 1\n'.repeat(401))
    write('packages/a/src/limit.ts', 'export const a = 1\n'.repeat(400))
    write('packages/a/src/long.test.ts', '\n'.repeat(1000))
    expect(check(root)).toMatchObject({
      files: 2,
      cycles: [],
      longFiles: [{ file: 'packages/a/src/long.ts', lines: 401 }],
    })
  })
})
