// The packaging checks of the test command, on what a publish would upload: each package is packed, then
// its tarball must hold a LICENSE and no build leftovers (.tsbuildinfo), every source map must carry its
// sources, the README must link absolutely (relative links lead nowhere on the registry's page), and publint
// (strict: warnings are errors) and @arethetypeswrong/cli must report nothing.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { packPackages, ROOT } from './pack-packages.mjs'

const work = mkdtempSync(join(tmpdir(), 'healthgate-pack-'))
const problems = []
try {
  const packed = packPackages(work)
  for (const { name, tarball } of packed) {
    const unpacked = join(work, name.replace('/', '+'))
    mkdirSync(unpacked)
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked])
    const root = join(unpacked, 'package')
    const files = listFiles(root).map((file) => relative(root, file))
    const report = (message) => problems.push(`${name}: ${message}`)

    if (!files.includes('LICENSE')) report('no LICENSE in the tarball')
    if (!files.includes('CHANGELOG.md')) report('no CHANGELOG.md in the tarball')
    for (const file of files.filter((f) => f.endsWith('.tsbuildinfo'))) report(`ships ${file}`)
    for (const file of files.filter((f) => f.endsWith('.map'))) {
      const map = JSON.parse(readFileSync(join(root, file), 'utf8'))
      const complete = Array.isArray(map.sourcesContent) && map.sourcesContent.length === map.sources.length
      if (!complete || map.sourcesContent.some((text) => typeof text !== 'string')) {
        report(`${file} points at sources the tarball does not hold (no sourcesContent)`)
      }
    }
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^(https?:|mailto:|#)/.test(target)) report(`README links relatively to ${target}`)
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    for (const field of ['repository', 'homepage', 'bugs', 'keywords', 'license']) {
      if (!manifest[field]) report(`package.json has no ${field}`)
    }
    if (!manifest.repository?.directory) report('package.json repository has no directory')

    const buffer = readFileSync(tarball)
    const lint = await publint({
      pack: { tarball: buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) },
      strict: true,
      level: 'suggestion',
    })
    for (const message of lint.messages) {
      report(`publint ${message.type}: ${formatMessage(message, lint.pkg, { color: false })}`)
    }

    const attw = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'attw'),
      [tarball, '--format', 'ascii', '--no-color', '--no-emoji'],
      {
        encoding: 'utf8',
      },
    )
    if (attw.status !== 0) report(`@arethetypeswrong/cli:\n${attw.stdout}${attw.stderr}`)
  }
  if (problems.length > 0) {
    console.error(`check-packages: ${problems.length} problem(s)\n${problems.join('\n')}`)
    process.exitCode = 1
  } else {
    console.log(
      `check-packages: ${packed.length} tarballs pass (LICENSE, contents, source maps, links, publint, attw)`,
    )
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}
