import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as browser from './browser.js'
import * as node from './index.js'

// The monitor must run in browsers and React Native: the files the browser entry pulls in may use only
// fetch, AbortController and timers. That includes the core's primitives subpath it imports.
const PRIMITIVES = join(__dirname, '../../core/src/primitives')
const BROWSER_GRAPH = [
  ...['browser.ts', 'portable.ts', 'monitor.ts', 'options.ts', 'probe.ts'].map((file) =>
    join(__dirname, file),
  ),
  ...readdirSync(PRIMITIVES)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => join(PRIMITIVES, file)),
  join(__dirname, '../../core/src/sanitize.ts'),
]

test.each(BROWSER_GRAPH)('%s imports nothing from Node and uses no Node globals', (file) => {
  const source = readFileSync(file, 'utf8')
  const runtimeImports = [...source.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gm)].map(
    (match) => match[1],
  )
  for (const specifier of runtimeImports) {
    expect(specifier).toMatch(/^(\.\.?\/[a-z-/]+\.js|@healthgate\/core\/primitives)$/)
  }
  // Comments may name Node APIs (to say why they are feature-tested); code may not use them.
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
  expect(code).not.toMatch(/\b(process|Buffer|require|__dirname|setImmediate)\b[.(]/)
})

test('the browser entry exports the same names as the Node entry', () => {
  expect(Object.keys(browser).sort()).toEqual(Object.keys(node).sort())
})

test('serveActive in the browser entry rejects with an explanation', async () => {
  await expect(
    browser.serveActive({ monitor: { active: node.createFailover } as never, port: 0 }),
  ).rejects.toThrow('serveActive() needs Node.js (node:http)')
})
