// `pnpm docs`: the API reference, one entry point per public module, taken from each package's exports map
// (so a new package or subpath is documented without editing this file). Warnings fail the build: an exported
// symbol without a doc comment, a broken {@link} or a type used in the API but not exported.
import { readdirSync, readFileSync } from 'node:fs'

const entryPoints = []
const packageNames = []
for (const folder of readdirSync('packages')) {
  let manifest
  try {
    manifest = JSON.parse(readFileSync(`packages/${folder}/package.json`, 'utf8'))
  } catch {
    continue
  }
  packageNames.push(manifest.name)
  for (const target of Object.values(manifest.exports ?? {})) {
    const types = target?.import?.types
    if (typeof types !== 'string') continue
    entryPoints.push(`packages/${folder}/${types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')}`)
  }
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints,
  tsconfig: 'tsconfig.typedoc.json',
  out: 'docs/api',
  name: 'healthgate',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  treatWarningsAsErrors: true,
  treatValidationWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, invalidPath: true, notDocumented: true },
  requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias'],
  // Without this TypeDoc requires comments only in the root package (the private workspace root).
  packagesRequiringDocumentation: packageNames,
  // The project's own repository, so that source links never depend on the clone's remote.
  sourceLinkTemplate: 'https://github.com/healthgate/healthgate/blob/{gitRevision}/{path}#L{line}',
  logLevel: 'Warn',
}
