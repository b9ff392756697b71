// Emits the CommonJS half of each package's dual build: tsc already wrote ESM + .d.ts to dist/;
// esbuild bundles src/index.ts into dist/index.cjs (dependencies stay external) and every .d.ts is
// mirrored to .d.cts so `require` users get types resolved in CommonJS mode.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const packagesDir = join(root, 'packages')

for (const name of readdirSync(packagesDir)) {
  const dir = join(packagesDir, name)
  const entry = join(dir, 'src/index.ts')
  if (!existsSync(entry)) continue
  await build({
    entryPoints: [entry],
    outfile: join(dir, 'dist/index.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  })
  mirrorDeclarations(join(dir, 'dist'))
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
