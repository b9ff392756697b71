export type { PgCheckDefinition, PgCheckOptions, PgSaturation, PgTarget } from './pg-check.js'
export { pgCheck } from './pg-check.js'
