// @healthgate/core/adapter: the plumbing for people writing an adapter (a framework or runtime that hands
// requests to the core handler). App developers use the package root instead.
export type { HealthHandler } from '../handler.js'
export { createHandlerFor, HANDLER_OPTION_KEYS } from '../handler.js'
export { HEALTH_OPTION_KEYS } from '../health/options.js'
export { MAX_ADMIN_BODY_BYTES } from '../http/admin-body.js'
export type { HeaderValue, HealthRequest, HealthResponse } from '../http/types.js'
export { remoteAddressOf, toHealthRequest, writeHealthResponse, writeInternalError } from '../node.js'
export type { RenderedCheck, RenderedReport, RenderOptions, ServiceMetadata } from '../render.js'
export { HEALTH_CONTENT_TYPE, toHealthJson } from '../render.js'
