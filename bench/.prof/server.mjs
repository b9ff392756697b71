import http from 'node:http'
const mode = process.argv[2]
const CORE = process.env.CORE || '@healthgate/core'
const core = await import(CORE.startsWith('@') ? CORE : `${CORE}/index.js`)
const checks = () => [
  { name: 'postgres', check: async () => ({ observedValue: 1, observedUnit: 'ms', measurements: { connections: { observedValue: { total: 1, idle: 1 } } } }), componentType: 'datastore' },
  { name: 'redis', check: async () => {} },
  core.memoryCheck(),
]
let server, listen
if (mode === 'bare') {
  server = http.createServer((req, res) => { if (req.url === '/health') { res.writeHead(200, {'content-type':'text/plain; charset=utf-8','content-length':'2'}); res.end('OK') } else { res.writeHead(404); res.end() } })
} else if (mode === 'hg') {
  server = http.createServer(core.createNodeListener(core.createHealth({ checks: checks() })))
} else if (mode === 'fbare' || mode === 'fhg') {
  const { default: Fastify } = await import('fastify')
  const app = Fastify()
  if (mode === 'fbare') app.get('/health', async () => 'OK')
  else { const { default: hg } = await import(process.env.FASTIFY || '@healthgate/fastify'); await app.register(hg, { health: core.createHealth({ checks: checks() }) }) }
  await app.ready()
  server = app.server
  listen = () => app.listen({ port: 0, host: '127.0.0.1' })
}
let served = 0
server.on('request', () => served++)
if (listen) await listen(); else await new Promise((r) => server.listen(0, '127.0.0.1', r))
process.send({ port: server.address().port })
let base
process.on('message', (m) => {
  if (m === 'start') { base = process.cpuUsage(); served = 0; process.send('started') }
  if (m === 'stop') { const c = process.cpuUsage(base); process.send({ cpu: (c.user + c.system) / served, user: c.user / served, sys: c.system / served, served }); setTimeout(() => process.exit(0), 10) }
})
