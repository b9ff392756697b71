/**
 * Type-level tests, checked by `tsc --build` (tsconfig.test.json includes test/**). Each
 * `@ts-expect-error` fails the type check if the line below it ever compiles; the runtime assertions
 * keep the file an honest Jest test as well.
 */
import { createHealth, type Health } from '@healthgate/core'
import { type HealthRouter, type HealthRouterOptions, healthRouter } from '@healthgate/express'
import { type HealthgateOptions, healthgate } from '@healthgate/fastify'
import express from 'express'
import Fastify from 'fastify'

describe('adapter types', () => {
  it('types fastify.health as Health', async () => {
    const app = Fastify()
    const health = createHealth()
    try {
      await app.register(healthgate, { health, path: '/status', details: 'always', closeHealth: true })
      const typed: Health = app.health
      expect(typed).toBe(health)
      // @ts-expect-error fastify.health is a Health, not a string
      const wrong: string = app.health
      expect(typeof wrong).toBe('object')
    } finally {
      await app.close()
    }
  })

  it('types the plugin options', () => {
    const health = createHealth()
    const options: HealthgateOptions = { health, path: '/_status', adminToken: 't', retryAfterSeconds: 10 }
    // @ts-expect-error `health` is required
    const missingHealth: HealthgateOptions = { path: '/health' }
    // @ts-expect-error `details` is 'never' | 'authorized' | 'always'
    const badDetails: HealthgateOptions = { health, details: 'sometimes' }
    // @ts-expect-error the mount path option is `path`, as in the other adapters
    const oldName: HealthgateOptions = { health, prefix: '/health' }
    // @ts-expect-error `closeHealth` is a boolean
    const badClose: HealthgateOptions = { health, closeHealth: 'yes' }
    const registerWithoutHealth = () => {
      // @ts-expect-error register() checks the options against the plugin's
      void Fastify().register(healthgate, { path: '/health' })
    }
    expect([options, missingHealth, badDetails, oldName, badClose, registerWithoutHealth]).toHaveLength(6)
    return health.close()
  })

  it('types the Express router and its options', () => {
    const health = createHealth()
    const router: HealthRouter = healthRouter(health, { path: '/_status', details: 'never' })
    express().use(router)
    // @ts-expect-error `retryAfterSeconds` is a number
    const badRetry: HealthRouterOptions = { retryAfterSeconds: '5' }
    // @ts-expect-error the first argument is a Health
    const notHealth = () => healthRouter({}, {})
    // @ts-expect-error unknown options are rejected
    const unknown: HealthRouterOptions = { prefix: '/health' }
    expect(router.handler.path).toBe('/_status')
    expect([badRetry, notHealth, unknown]).toHaveLength(3)
    return health.close()
  })
})
