#!/usr/bin/env node
import { main } from './main.js'

// SIGINT/SIGTERM stop the running command cleanly (watch closes its monitor and server); a second
// signal exits at once for when that cleanup hangs.
const controller = new AbortController()
const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) process.exit(130)
  controller.abort(signal)
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

const code = await main(process.argv.slice(2), { signal: controller.signal })
process.off('SIGINT', onSignal)
process.off('SIGTERM', onSignal)
process.exitCode = code
