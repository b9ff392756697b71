import http from 'node:http'
import { createHealth, createNodeListener, memoryCheck } from '@healthgate/core'
import { pgCheck } from '@healthgate/pg'
import { redisCheck } from '@healthgate/redis'
import { Redis } from 'ioredis'
import pg from 'pg'

const mode = process.argv[2]
let listener
if (mode === 'bare') {
  listener = (req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '2' })
      res.end('OK')
    } else {
      res.writeHead(404)
      res.end()
    }
  }
} else {
  const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' })
  const redis = new Redis('redis://127.0.0.1:6379')
  const checks =
    mode === 'hg-deps'
      ? [pgCheck({ pool }), redisCheck({ client: redis }), memoryCheck()]
      : mode === 'hg-mem'
        ? [memoryCheck()]
        : [{ name: 'x', check: async () => {} }]
  listener = createNodeListener(createHealth({ checks }))
}
const server = http.createServer(listener)
server.keepAliveTimeout = 65000
server.listen(Number(process.argv[3]), '127.0.0.1', () => console.log('listening'))
setTimeout(() => process.exit(0), Number(process.argv[4] || 9000))
