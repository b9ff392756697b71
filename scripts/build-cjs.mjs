// Emits the CommonJS half of each package's dual build: tsc already wrote ESM + .d.ts to dist/;
// esbuild bundles each `require` entry of the package's exports map (dist/X.cjs from src/X.ts; dependencies
// stay external) and every .d.ts is mirrored to .d.cts so `require` users get types resolved in CommonJS mode.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const packagesDir = join(root, 'packages')

for (const name of readdirSync(packagesDir)) {
  const dir = join(packagesDir, name)
  const manifest = join(dir, 'package.json')
  if (!existsSync(manifest)) continue
  const outputs = requireEntries(JSON.parse(readFileSync(manifest, 'utf8')).exports)
  if (outputs.length === 0) continue
  for (const output of outputs) await buildCjs(dir, output)
  mirrorDeclarations(join(dir, 'dist'))
}

/** The `./dist/X.cjs` files named by the `require` conditions of an exports map. */
function requireEntries(exports) {
  const found = new Set()
  const visit = (node, underRequire) => {
    if (typeof node === 'string') {
      if (underRequire && node.endsWith('.cjs')) found.add(node)
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) visit(value, underRequire || key === 'require')
    }
  }
  visit(exports, false)
  return [...found]
}

async function buildCjs(dir, output) {
  const stem = output.replace(/^\.\/dist\//, '').replace(/\.cjs$/, '')
  await build({
    entryPoints: [join(dir, 'src', `${stem}.ts`)],
    outfile: join(dir, 'dist', `${stem}.cjs`),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  })
}

function mirrorDeclarations(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) mirrorDeclarations(path)
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8').replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.js(['"])/g, '$1.cjs$2')
      writeFileSync(path.replace(/\.d\.ts$/, '.d.cts'), text.replace(/\/\/# sourceMappingURL=.*$/m, ''))
    }
  }
}
