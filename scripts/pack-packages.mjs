// Packs every workspace package under packages/ with `pnpm pack` (which rewrites `workspace:` ranges to
// real versions, as a publish would) into one folder. Shared by the packaging checks and the docs test.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = new URL('..', import.meta.url).pathname

/** The pinned pnpm (the root `packageManager`), through npx so that no global install is needed. */
export function pnpmCommand() {
  // Under `pnpm run`, the running pnpm itself (no npx, and none of npx's warnings about pnpm's env config).
  const running = process.env.npm_execpath
  if (running && /pnpm/.test(running)) return [process.execPath, [running]]
  const pinned = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager
  return ['npx', ['-y', pinned]]
}

/** Packs every package into `destination`; returns `{ name, version, dir, tarball }` per package. */
export function packPackages(destination) {
  const [command, prefix] = pnpmCommand()
  execFileSync(
    command,
    [...prefix, '-r', '--filter', './packages/*', 'pack', '--pack-destination', destination],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  const packed = []
  for (const folder of readdirSync(join(ROOT, 'packages'))) {
    let manifest
    try {
      manifest = JSON.parse(readFileSync(join(ROOT, 'packages', folder, 'package.json'), 'utf8'))
    } catch {
      continue
    }
    const file = `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`
    packed.push({
      name: manifest.name,
      version: manifest.version,
      dir: join(ROOT, 'packages', folder),
      tarball: join(destination, file),
    })
  }
  return packed
}

// `node scripts/pack-packages.mjs <folder>`: pack into <folder>, print the tarballs as JSON.
if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1] && process.argv[2]) {
  process.stdout.write(`${JSON.stringify(packPackages(process.argv[2]))}\n`)
}
