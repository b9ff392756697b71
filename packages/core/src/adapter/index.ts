// @healthgate/core/adapter: the plumbing for people writing an adapter (a framework or runtime that hands
// requests to the core handler). App developers use the package root instead.
export type { HeaderValue, HealthRequest, HealthResponse } from '../handler.js'
export { MAX_ADMIN_BODY_BYTES } from '../handler.js'
export { remoteAddressOf, toHealthRequest, writeHealthResponse, writeInternalError } from '../node.js'
export { HEALTH_CONTENT_TYPE, toHealthJson } from '../render.js'
