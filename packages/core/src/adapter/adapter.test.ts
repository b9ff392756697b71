import * as root from '../index.js'
import * as adapter from './index.js'

const PLUMBING = [
  'toHealthRequest',
  'writeHealthResponse',
  'writeInternalError',
  'remoteAddressOf',
  'toHealthJson',
  'HEALTH_CONTENT_TYPE',
  'MAX_ADMIN_BODY_BYTES',
  'createHandlerFor',
  'HANDLER_OPTION_KEYS',
]

describe('@healthgate/core/adapter', () => {
  it('holds the adapter plumbing, which the package root does not', () => {
    for (const name of PLUMBING) {
      expect(adapter).toHaveProperty(name)
      expect(root).not.toHaveProperty(name)
    }
  })

  it('keeps what an app developer uses on the root', () => {
    for (const name of [
      'createHealth',
      'createHandler',
      'createNodeListener',
      'tuneForLoadBalancer',
      'installShutdown',
    ]) {
      expect(typeof (root as Record<string, unknown>)[name]).toBe('function')
    }
  })

  it('lists every option createHandler accepts, for adapters that take them beside their own', () => {
    expect(adapter.HANDLER_OPTION_KEYS).toEqual([
      'path',
      'details',
      'adminToken',
      'retryAfterSeconds',
      'adminRoutes',
      'allowShortAdminToken',
      'authFailureLimit',
      'authFailureWindowMs',
    ])
    expect(Object.isFrozen(adapter.HANDLER_OPTION_KEYS)).toBe(true)
  })
})
