import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as browser from './browser.js'
import * as node from './index.js'

// The monitor must run in browsers and React Native: the files the browser entry pulls in may use only
// fetch, AbortController and timers.
const BROWSER_GRAPH = ['browser.ts', 'portable.ts', 'monitor.ts', 'probe.ts', 'expect.ts']

test.each(BROWSER_GRAPH)('%s imports nothing from Node and uses no Node globals', (file) => {
  const source = readFileSync(join(__dirname, file), 'utf8')
  const runtimeImports = [...source.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gm)].map(
    (match) => match[1],
  )
  for (const specifier of runtimeImports) expect(specifier).toMatch(/^\.\/[a-z-]+\.js$/)
  expect(source).not.toMatch(/\b(process|Buffer|require|__dirname|setImmediate)\b[.(]/)
})

test('the browser entry exports the same names as the Node entry', () => {
  expect(Object.keys(browser).sort()).toEqual(Object.keys(node).sort())
})

test('serveActive in the browser entry rejects with an explanation', async () => {
  await expect(
    browser.serveActive({ monitor: { active: node.createFailover } as never, port: 0 }),
  ).rejects.toThrow('serveActive() needs Node.js (node:http)')
})
