// Runs the failover story end to end and prints what happens:
//   primary up -> primary stopped -> client moves to the secondary -> primary restarted -> client moves back.
// Build first (`pnpm run build` at the repository root), then: node examples/failover/index.mjs
import { createFailoverDemo } from './demo.js'

const started = Date.now()
const log = (line) => console.log(`${String(Date.now() - started).padStart(6)} ms  ${line}`)

const demo = await createFailoverDemo({ intervalMs: 1000, failureThreshold: 3, successThreshold: 2, log })
try {
  log(`primary   ${demo.primary.healthUrl} / ${demo.primary.connectUrl}`)
  log(`secondary ${demo.secondary.healthUrl} / ${demo.secondary.connectUrl}`)
  await demo.client.waitFor('primary')

  await sleep(2000)
  log('--- stopping the primary')
  await demo.primary.stop()
  await demo.client.waitFor('secondary', 15_000)

  await sleep(2000)
  log('--- restarting the primary')
  await demo.primary.start()
  await demo.client.waitFor('primary', 15_000)
  log('--- back on the primary; done')
} finally {
  await demo.close()
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
