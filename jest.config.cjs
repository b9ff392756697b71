// Two projects, split by what a test needs:
// - unit: everything that runs on this machine alone (no PostgreSQL, Redis, HAProxy or redis-server);
// - integration: test/integration/, the tests that talk to real services. Only this project's global
//   setup checks that PostgreSQL (PG_URL) and Redis (REDIS_URL) are reachable.
// `pnpm test:unit` and `pnpm test:integration` run one project each; `pnpm test` runs both.
// test:unit runs with --detectOpenHandles, which implies running the files one by one. test:integration
// runs without it, on `maxWorkers` workers: its files mostly wait on servers, timers and HAProxy, and
// they keep apart on the shared services (unique keys, free ports), so they overlap well.
const INTEGRATION = '<rootDir>/test/integration/'

/** @type {import('jest').Config} */
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/support/quiet-console.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: {
    '^@healthgate/([a-z]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@healthgate/([a-z]+)/([a-z]+)$': '<rootDir>/packages/$1/src/$2/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
}

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/packages', '<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', INTEGRATION],
    },
    {
      ...shared,
      displayName: 'integration',
      roots: [INTEGRATION],
      testPathIgnorePatterns: ['/node_modules/'],
      globalSetup: '<rootDir>/test/support/global-setup.cjs',
    },
  ],
  testTimeout: 30000,
  maxWorkers: 2,
}
