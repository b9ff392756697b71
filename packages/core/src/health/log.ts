import { sanitizeOutput } from '../sanitize.js'
import type { AdminEvent, HealthEvents } from './events.js'

/** A pino-compatible logger: pino, `fastify.log`, or `console`. Each call gets an object of fields, then a message. */
export interface HealthLogger {
  /** A transition to a passing state, or a step that went as planned. */
  info(fields: object, message: string): void
  /** A check or readiness that failed, a drain that timed out. */
  warn(fields: object, message: string): void
  /** A shutdown step that failed. */
  error(fields: object, message: string): void
}

/** A flapping check logs at most this many transitions per window; the rest are counted (metrics see all). */
const FLAP_LIMIT = 5
const FLAP_WINDOW_MS = 60_000

interface FlapState {
  windowStart: number
  logged: number
  suppressed: number
}

/**
 * Subscribes `logger` to the events of a health: every check transition, readiness change, maintenance
 * change, drain step and shutdown step is logged once, with fields. Outputs and reasons are sanitized again
 * here, so no stack trace, connection string or token reaches a log line whatever a store or hook put in
 * them. The first failure of each check that looks like a bug (see `CheckRunEvent.hint`) is logged with
 * `warn` even without a logger (`console.warn`), so that a new user sees why /health says 503.
 * Returns a disposer.
 */
export function subscribeLogger(events: HealthEvents, logger: HealthLogger | undefined): () => void {
  const offs: (() => void)[] = []
  const hinted = new Set<string>()
  offs.push(
    events.runs.add(({ name, result, hint }) => {
      if (hint === undefined || hinted.has(name)) return
      hinted.add(name)
      const reason = sanitizeOutput(result.output ?? '')
      const message = `healthgate: check "${name}" fails because of a ${hint}: ${reason}`
      if (logger) logger.warn({ check: name, reason, hint }, message)
      else console.warn(message)
    }),
  )
  offs.push(
    events.admin.add(({ action, ...rest }) => {
      const message = `healthgate: ${adminMessage({ action, ...rest })}`
      if (logger) logger.warn({ admin: action, ...rest }, message)
      else console.warn(message)
    }),
  )
  offs.push(
    events.panic.add(({ panic, output }) => {
      // Logged even without a logger: an instance that answers 200 although its checks fail must say why.
      const message = panic
        ? `healthgate: readiness held at 200 (warn): ${sanitizeOutput(output ?? 'fleet panic')}`
        : 'healthgate: fleet panic over: readiness follows the checks again'
      if (logger) logger.warn({ panic, ...(output ? { output: sanitizeOutput(output) } : {}) }, message)
      else console.warn(message)
    }),
  )
  if (!logger) return () => dispose(offs)

  const flaps = new Map<string, FlapState>()
  offs.push(
    events.checks.add(({ name, previous, current, result }) => {
      const now = performance.now()
      let flap = flaps.get(name)
      if (!flap || now - flap.windowStart >= FLAP_WINDOW_MS) {
        flap = { windowStart: now, logged: 0, suppressed: flap?.suppressed ?? 0 }
        flaps.set(name, flap)
      }
      if (flap.logged >= FLAP_LIMIT) {
        flap.suppressed++
        return
      }
      flap.logged++
      const fields: Record<string, unknown> = {
        check: name,
        from: previous ?? null,
        to: current,
        durationMs: result.durationMs,
      }
      if (result.output !== undefined) fields.output = sanitizeOutput(result.output)
      if (flap.suppressed > 0) fields.suppressed = flap.suppressed
      flap.suppressed = 0
      const message = `healthgate: check "${name}" ${previous ?? 'unknown'} -> ${current}`
      if (current === 'fail') logger.warn(fields, message)
      else logger.info(fields, message)
    }),
    events.status.add(({ probe, previous, current }) => {
      const fields = { probe, from: previous, to: current }
      const message = `healthgate: readiness ${previous} -> ${current}`
      if (current === 'fail') logger.warn(fields, message)
      else logger.info(fields, message)
    }),
    events.maintenance.add(({ enabled, source, reason }) => {
      const fields: Record<string, unknown> = { maintenance: enabled, source }
      if (reason !== undefined) fields.reason = sanitizeOutput(reason)
      logger.info(fields, `healthgate: maintenance ${enabled ? 'entered' : 'left'} (${source})`)
    }),
    events.drain.add(({ phase, probers }) => {
      const text =
        phase === 'start' ? 'draining started' : phase === 'confirmed' ? 'drain confirmed' : 'draining ended'
      logger.info({ drain: phase, probers }, `healthgate: ${text}`)
    }),
    events.shutdown.add((event) => {
      const fields: Record<string, unknown> = { shutdown: event.step }
      if (event.reason !== undefined) fields.reason = sanitizeOutput(event.reason)
      if (event.durationMs !== undefined) fields.durationMs = event.durationMs
      if (event.code !== undefined) fields.code = event.code
      const message = `healthgate: shutdown ${event.step}${event.reason ? `: ${fields.reason}` : ''}`
      if (event.step === 'error') logger.error(fields, message)
      else if (event.step === 'drain-timeout') logger.warn(fields, message)
      else logger.info(fields, message)
    }),
  )
  return () => dispose(offs)
}

function dispose(offs: readonly (() => void)[]): void {
  for (const off of offs) off()
}

/** One line per admin action: the caller's address, the reason given, never a token. */
function adminMessage(event: AdminEvent): string {
  if (event.action === 'throttled') {
    return `admin API: ${event.address} blocked for ${Math.ceil((event.blockedForMs ?? 0) / 1000)} s after ${event.failures} failed authentication attempts`
  }
  const reason = event.reason ? ` (reason: ${JSON.stringify(sanitizeOutput(event.reason))})` : ''
  return `maintenance ${event.action === 'maintenance-on' ? 'on' : 'off'} requested by ${event.address}${reason}`
}
