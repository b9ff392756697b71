// The suites that exercise a peer dependency, run against the lowest version of each peer range the
// packages declare. The lowest versions are installed beside the current ones under aliases (root
// devDependencies `<name>-lowest`); this config resolves every `require('<name>')` and
// `require('<name>/...')` to the alias, inside the packages' code as much as in the tests.
// Run it with `pnpm test:lowest` (scripts/node-matrix.mjs --lowest).
const path = require('node:path')
const base = require('./jest.config.cjs')

/** Module name -> alias holding its lowest declared version (see root package.json). */
const LOWEST = {
  express: 'express5-lowest', // @healthgate/express: ^4 || ^5; the conformance suite runs both
  express4: 'express4-lowest',
  fastify: 'fastify-lowest',
  pg: 'pg-lowest',
  ioredis: 'ioredis-lowest',
}

const mapper = {}
for (const [name, alias] of Object.entries(LOWEST)) {
  mapper[`^${name}(/.*)?$`] = `${path.join(__dirname, 'node_modules', alias)}$1`
}

const withLowest = (config) => ({
  ...config,
  moduleNameMapper: { ...mapper, ...config.moduleNameMapper },
  setupFiles: [...(config.setupFiles ?? []), '<rootDir>/test/compat/lowest-peers.cjs'],
})

module.exports = base.projects
  ? { ...base, projects: base.projects.map((project) => withLowest(project)) }
  : withLowest(base)
Object.defineProperty(module.exports, 'LOWEST', { value: LOWEST, enumerable: false })
