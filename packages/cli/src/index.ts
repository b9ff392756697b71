// What a program embedding the CLI needs: run it, give it streams, read its exit codes and errors.
export type { CliContext, Output } from './args.js'
export type { FleetBody, MaintenanceBody } from './commands/admin-client.js'
export {
  CommandError,
  EXIT,
  InterruptedError,
  isCommandError,
  isInterruptedError,
  isUsageError,
  UsageError,
} from './errors.js'
export { main } from './main.js'
export { VERSION } from './version.js'
