// Two rules over the source files of every package (packages/*/src/**/*.ts, tests excluded):
// - no import cycle: the graph follows relative imports and `@healthgate/<name>[/<subpath>]` imports
//   (resolved to the package's src/, as jest resolves them), type-only imports included, because a
//   module that needs another's types still depends on its shape;
// - no file longer than MAX_LINES.
// test/source/source-rules.test.ts checks them in the unit suite.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

export const MAX_LINES = 400

const isSource = (name: string) =>
  name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')

function sourceFiles(dir: string): string[] {
  const files: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...sourceFiles(path))
    else if (entry.isFile() && isSource(entry.name)) files.push(path)
  }
  return files
}

/** `./x.js`, `./x` or `./x/index.js` as a source file, or undefined when it is not one. */
function resolveFile(base: string): string | undefined {
  const stem = base.replace(/\.(js|ts)$/, '')
  for (const candidate of [`${stem}.ts`, join(stem, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return undefined
}

function resolveImport(specifier: string, from: string, packagesDir: string): string | undefined {
  if (specifier.startsWith('.')) return resolveFile(resolve(dirname(from), specifier))
  const match = /^@healthgate\/([a-z0-9-]+)(?:\/([a-z0-9-]+))?$/.exec(specifier)
  if (!match) return undefined // Node built-ins and third-party packages cannot close a cycle here
  const [, name = '', subpath = ''] = match
  return resolveFile(join(packagesDir, name, 'src', subpath, 'index.ts'))
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
type Graph = Map<string, Set<string>>

function cyclicComponents(graph: Graph): string[][] {
  let index = 0
  const indexOf = new Map<string, number>()
  const lowLink = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const components: string[][] = []
  const visit = (node: string) => {
    indexOf.set(node, index)
    lowLink.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next)
        lowLink.set(node, Math.min(lowLink.get(node) as number, lowLink.get(next) as number))
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) as number, indexOf.get(next) as number))
      }
    }
    if (lowLink.get(node) === indexOf.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop() as string
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
function cycleIn(component: string[], graph: Graph): string[] {
  const members = new Set(component)
  const start = [...component].sort()[0] as string
  const cameFrom = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.shift() as string
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (!members.has(next)) continue
      if (next === start) {
        const path = [start]
        for (let at = node; at !== start; at = cameFrom.get(at) as string) path.splice(1, 0, at)
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

export interface SourceReport {
  /** How many source files were read. */
  files: number
  maxLines: number
  /** Each a path of files, first and last the same. */
  cycles: string[][]
  longFiles: Array<{ file: string; lines: number }>
}

/** Scans `<root>/packages/*\/src`. Paths in the result are relative to `root`, with forward slashes. */
export function checkSource(root: string): SourceReport {
  const packagesDir = join(root, 'packages')
  const files = readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packagesDir, entry.name, 'src')))
    .flatMap((entry) => sourceFiles(join(packagesDir, entry.name, 'src')))
    .sort()
  const name = (path: string) => relative(root, path).split('\\').join('/')
  const graph: Graph = new Map()
  const longFiles: SourceReport['longFiles'] = []
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    if (lines > MAX_LINES) longFiles.push({ file: name(file), lines })
    const { importedFiles } = ts.preProcessFile(text, true, true)
    const targets = new Set<string>()
    for (const { fileName } of importedFiles) {
      const target = resolveImport(fileName, file, packagesDir)
      if (target) targets.add(name(target))
    }
    graph.set(name(file), targets)
  }
  const cycles = cyclicComponents(graph).map((component) => cycleIn(component, graph))
  return { files: files.length, maxLines: MAX_LINES, cycles, longFiles }
}
