// What a browser bundler makes of `@healthgate/failover`: the `browser` export condition leads to a build
// without Node built-ins, so it bundles for the browser with nothing left external. The Node entry, bundled
// the same way for Node, is the control: there the metafile does show node:http.
import { builtinModules } from 'node:module'
import { build, type Metafile } from 'esbuild'
import { ROOT } from '../support/spawn.js'

async function bundle(platform: 'browser' | 'node'): Promise<Metafile> {
  const result = await build({
    stdin: { contents: "export * from '@healthgate/failover'", resolveDir: ROOT, loader: 'js' },
    absWorkingDir: ROOT,
    bundle: true,
    platform,
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  return result.metafile
}

const BUILTINS = new Set(builtinModules)
const isBuiltin = (specifier: string) =>
  specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0] ?? '')

const importsOf = (metafile: Metafile) => Object.values(metafile.inputs).flatMap((input) => input.imports)

test('the browser bundle contains no Node built-in and nothing external', async () => {
  const metafile = await bundle('browser')
  const inputs = Object.keys(metafile.inputs)
  expect(inputs).toContain('packages/failover/dist/browser.js')
  expect(inputs).not.toContain('packages/failover/dist/serve.js')
  expect(inputs.filter((input) => !input.startsWith('packages/'))).toEqual(['<stdin>'])
  const imports = importsOf(metafile)
  expect(imports.length).toBeGreaterThan(0)
  expect(imports.filter((entry) => isBuiltin(entry.path))).toEqual([])
  expect(imports.filter((entry) => entry.external)).toEqual([])
})

test('control: the Node entry bundled for Node imports node:http', async () => {
  const metafile = await bundle('node')
  expect(Object.keys(metafile.inputs)).toContain('packages/failover/dist/serve.js')
  expect(importsOf(metafile).filter((entry) => isBuiltin(entry.path))).toContainEqual(
    expect.objectContaining({ path: 'node:http', external: true }),
  )
})
