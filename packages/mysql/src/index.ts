export type {
  MysqlCheckDefinition,
  MysqlCheckOptions,
  MysqlSaturation,
  MysqlTarget,
} from './mysql-check.js'
export { mysqlCheck } from './mysql-check.js'
