export * from './portable.js'
export { type ActiveResponse, type ActiveServer, type ServeActiveOptions, serveActive } from './serve.js'
