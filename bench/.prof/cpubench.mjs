import { fork } from 'node:child_process'
import autocannon from '/work/main/node_modules/autocannon/autocannon.js'
const variants = process.argv.slice(2) // entries like bare or hg:/tmp/core-a
const results = {}
const once = (child, type) => new Promise((r) => child.once('message', r))
for (let round = 0; round < Number(process.env.ROUNDS || 3); round++) {
  for (const v of variants) {
    const [mode, core] = v.split('=')
    const child = fork('/work/main/bench/.prof/server.mjs', [mode], { env: { ...process.env, ...(core ? { CORE: core } : {}) }, execArgv: process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.PROF + '/' + mode] : [] })
    const { port } = await once(child)
    const url = `http://127.0.0.1:${port}/health`
    await autocannon({ url, connections: 50, duration: 1 })
    child.send('start'); await once(child)
    const r = await autocannon({ url, connections: 50, amount: Number(process.env.AMOUNT || 150000) })
    child.send('stop'); const { cpu, user, sys } = await once(child)
    ;(results[v] ??= []).push({ cpu, rps: r.requests.total / r.duration })
    console.log(v, cpu.toFixed(2), 'µs/req', 'user', user.toFixed(2), 'sys', sys.toFixed(2), Math.round(r.requests.total / r.duration), 'req/s')
  }
}
for (const [v, rs] of Object.entries(results)) {
  const cpus = rs.map((r) => r.cpu).sort((a, b) => a - b)
  console.log('MEDIAN', v, cpus[Math.floor(cpus.length / 2)].toFixed(2), 'µs/req')
}
