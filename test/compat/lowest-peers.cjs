// Jest setup file of the lowest-versions run (jest.lowest.config.cjs): before any suite runs, checks
// that `require('<peer>')` really loads the lowest version pinned in the root package.json, so that a
// change to the module mapping cannot silently turn the run into a second run of the current versions.
const { readFileSync } = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..', '..')
const { devDependencies } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const { LOWEST } = require(path.join(root, 'jest.lowest.config.cjs'))

for (const [name, alias] of Object.entries(LOWEST)) {
  const pinned = /^npm:[^@]+@(\d+\.\d+\.\d+)$/.exec(devDependencies[alias] ?? '')?.[1]
  if (!pinned) throw new Error(`package.json: expected devDependency ${alias} pinned as npm:<name>@x.y.z`)
  const loaded = require(`${name}/package.json`).version
  if (loaded !== pinned) {
    throw new Error(`lowest-versions run: require('${name}') loaded ${loaded}, expected ${pinned}`)
  }
}
