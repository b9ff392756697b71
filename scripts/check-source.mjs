#!/usr/bin/env node
// Checks two rules over the source files of every package (packages/*/src/**/*.ts, tests excluded):
// - no import cycle: the graph follows relative imports and `@healthgate/<name>[/<subpath>]` imports
//   (resolved to the package's src/, as jest and the build do), type-only imports included, because a
//   module that needs another's types still depends on its shape;
// - no file longer than MAX_LINES.
// Usage: node scripts/check-source.mjs [--json] [--root <dir>]. Exits 1 when a rule is broken.
// test/source/source-rules.test.ts runs it in the unit suite.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

export const MAX_LINES = 400

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')

function sourceFiles(dir) {
  const files = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...sourceFiles(path))
    else if (entry.isFile() && isSource(entry.name)) files.push(path)
  }
  return files
}

/** `./x.js`, `./x` or `./x/index.js` as a source file, or undefined when it is not one. */
function resolveFile(base) {
  const stem = base.replace(/\.(js|ts)$/, '')
  for (const candidate of [`${stem}.ts`, join(stem, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return undefined
}

function resolveImport(specifier, from, packagesDir) {
  if (specifier.startsWith('.')) return resolveFile(resolve(dirname(from), specifier))
  const match = /^@healthgate\/([a-z0-9-]+)(?:\/([a-z0-9-]+))?$/.exec(specifier)
  if (!match) return undefined // Node built-ins and third-party packages cannot close a cycle here
  const [, name, subpath] = match
  return resolveFile(join(packagesDir, name, 'src', subpath ?? '', 'index.ts'))
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cyclicComponents(graph) {
  let index = 0
  const indexOf = new Map()
  const lowLink = new Map()
  const stack = []
  const onStack = new Set()
  const components = []
  const visit = (node) => {
    indexOf.set(node, index)
    lowLink.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next)
        lowLink.set(node, Math.min(lowLink.get(node), lowLink.get(next)))
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node), indexOf.get(next)))
      }
    }
    if (lowLink.get(node) === indexOf.get(node)) {
      const component = []
      let member
      do {
        member = stack.pop()
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || graph.get(node)?.has(node)) components.push(component)
    }
  }
  for (const node of [...graph.keys()].sort()) if (!indexOf.has(node)) visit(node)
  return components
}

/** One concrete cycle through the component's first file (in name order): the shortest way back to it. */
function cycleIn(component, graph) {
  const members = new Set(component)
  const start = [...component].sort()[0]
  const cameFrom = new Map()
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.shift()
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (!members.has(next)) continue
      if (next === start) {
        const path = [start]
        for (let at = node; at !== start; at = cameFrom.get(at)) path.splice(1, 0, at)
        return [...path, start]
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node)
        queue.push(next)
      }
    }
  }
  return [start, start]
}

/** Scans `<root>/packages/*\/src`. Paths in the result are relative to `root`, with forward slashes. */
export function checkSource(root) {
  const packagesDir = join(root, 'packages')
  const files = readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packagesDir, entry.name, 'src')))
    .flatMap((entry) => sourceFiles(join(packagesDir, entry.name, 'src')))
    .sort()
  const name = (path) => relative(root, path).split('\\').join('/')
  const graph = new Map()
  const longFiles = []
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    if (lines > MAX_LINES) longFiles.push({ file: name(file), lines })
    const { importedFiles } = ts.preProcessFile(text, true, true)
    const targets = new Set()
    for (const { fileName } of importedFiles) {
      const target = resolveImport(fileName, file, packagesDir)
      if (target) targets.add(name(target))
    }
    graph.set(name(file), targets)
  }
  const cycles = cyclicComponents(graph).map((component) => cycleIn(component, graph))
  return { files: files.length, maxLines: MAX_LINES, cycles, longFiles }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const rootAt = args.indexOf('--root')
  const root =
    rootAt >= 0 ? resolve(args[rootAt + 1] ?? '.') : resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const report = checkSource(root)
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(report)}\n`)
  } else {
    console.log(`${report.files} source files in packages/*/src`)
    for (const cycle of report.cycles) console.log(`import cycle: ${cycle.join(' -> ')}`)
    for (const { file, lines } of report.longFiles) console.log(`over ${MAX_LINES} lines: ${file} (${lines})`)
    if (report.cycles.length === 0 && report.longFiles.length === 0)
      console.log('no import cycle, no long file')
  }
  process.exitCode = report.cycles.length > 0 || report.longFiles.length > 0 ? 1 : 0
}
