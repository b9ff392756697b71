// Throughput of healthgate's readiness route in a Nest application (HealthgateModule) against a bare Nest route
// of the same application (a controller returning a small JSON body), on the Express platform and then on the
// Fastify one; target: at least 0.9x.
// The check does no I/O and its result stays cached, so the figure is the route's own cost. The Nest app runs
// in a child process; this process generates the load (autocannon), alternating the two routes round by round.
//
//   node bench/nest.mjs            # after a build; part of `pnpm bench`, alone with `pnpm bench:nest`
//   BENCH_DURATION=3 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 BENCH_NEST_PLATFORMS=express node bench/nest.mjs
import 'reflect-metadata'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { HealthgateModule } from '@healthgate/nestjs'
import { Controller, Get, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import autocannon from 'autocannon'

const number = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback)
const DURATION_S = number('BENCH_DURATION', 5)
const ROUNDS = number('BENCH_ROUNDS', 5)
const CONNECTIONS = number('BENCH_CONNECTIONS', 50)
const PLATFORMS = (process.env.BENCH_NEST_PLATFORMS ?? 'express,fastify')
  .split(',')
  .map((name) => name.trim())
const ROUTES = { healthgate: '/health', 'bare Nest route': '/bare' }

async function serve(platform) {
  class BareController {
    bare() {
      return { status: 'pass' }
    }
  }
  Get('/bare')(
    BareController.prototype,
    'bare',
    Object.getOwnPropertyDescriptor(BareController.prototype, 'bare'),
  )
  Controller()(BareController)
  class AppModule {}
  Module({
    imports: [
      HealthgateModule.forRoot({ checks: [{ name: 'dep', cacheTtlMs: 600_000, check: async () => {} }] }),
    ],
    controllers: [BareController],
  })(AppModule)
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter()
  const app = await NestFactory.create(AppModule, adapter, { logger: false })
  await app.listen(0, '127.0.0.1')
  process.send({ port: app.getHttpServer().address().port })
  // The server's CPU time, so that throughput can also be read per CPU second: on a shared machine
  // wall-clock requests/s mostly measure the neighbours.
  process.on('message', () => {
    const { user, system } = process.cpuUsage()
    process.send({ cpuMs: (user + system) / 1000 })
  })
  process.on('disconnect', () => void app.close())
}

const serverCpuMs = (child) =>
  new Promise((resolve) => {
    child.once('message', ({ cpuMs }) => resolve(cpuMs))
    child.send('cpu')
  })

async function measure(child, url, duration) {
  const cpuBefore = await serverCpuMs(child)
  const result = await autocannon({ url, connections: CONNECTIONS, duration })
  const cpuS = ((await serverCpuMs(child)) - cpuBefore) / 1000
  const failed = result.errors + result.timeouts + result.non2xx
  if (failed > 0) throw new Error(`${url}: ${failed} requests failed or were not 2xx`)
  return { rps: result.requests.average, perCpu: result.requests.total / cpuS, p99: result.latency.p99 }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Both routes of one platform, round by round; prints the medians and returns whether the target is met. */
async function measurePlatform(platform) {
  const child = fork(fileURLToPath(import.meta.url), ['serve', platform], {
    env: { ...process.env, NODE_ENV: 'production' },
  })
  const { port } = await new Promise((resolve) => child.once('message', resolve))
  const runs = Object.fromEntries(Object.keys(ROUTES).map((name) => [name, []]))
  try {
    for (const path of Object.values(ROUTES)) await measure(child, `http://127.0.0.1:${port}${path}`, 1)
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which route goes first, so that neither always runs on a warmer process.
      const names = Object.keys(ROUTES)
      for (const name of round % 2 ? names.reverse() : names) {
        runs[name].push(await measure(child, `http://127.0.0.1:${port}${ROUTES[name]}`, DURATION_S))
      }
    }
  } finally {
    child.disconnect()
  }
  const pick = (name, field) => median(runs[name].map((run) => run[field]))
  console.log(`Nest (${platform} platform): healthgate readiness route vs a bare Nest route in the same app`)
  console.log(`  ${ROUNDS} rounds of ${DURATION_S} s, ${CONNECTIONS} connections (medians)`)
  console.log('                     req/s   req per server CPU second   p99 ms')
  for (const name of Object.keys(ROUTES)) {
    console.log(
      `  ${name.padEnd(16)} ${String(Math.round(pick(name, 'rps'))).padStart(7)}   ` +
        `${String(Math.round(pick(name, 'perCpu'))).padStart(25)}   ${pick(name, 'p99')}`,
    )
  }
  const wall = pick('healthgate', 'rps') / pick('bare Nest route', 'rps')
  const cpu = pick('healthgate', 'perCpu') / pick('bare Nest route', 'perCpu')
  console.log(
    `  wall-clock ratio: ${wall.toFixed(2)}x (target >= 0.90x) ${wall >= 0.9 ? 'OK' : 'BELOW TARGET'}`,
  )
  console.log(`  CPU ratio:        ${cpu.toFixed(2)}x`)
  return wall >= 0.9
}

async function main() {
  for (const platform of PLATFORMS) {
    if (platform !== 'express' && platform !== 'fastify') {
      throw new Error(
        `BENCH_NEST_PLATFORMS: expected express and/or fastify, got ${JSON.stringify(platform)}`,
      )
    }
    if (!(await measurePlatform(platform))) process.exitCode = 1
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3])
else await main()
