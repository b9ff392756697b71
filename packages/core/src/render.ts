import type { Health } from './health.js'
import type { CheckResult, HealthReport, Status } from './types.js'

/** Media type of health bodies (draft-inadarei-api-health-check-06). */
export const HEALTH_CONTENT_TYPE = 'application/health+json; charset=utf-8'

export interface RenderedCheck {
  componentId?: string
  componentType?: string
  observedValue?: unknown
  observedUnit?: string
  status: Status
  time?: string
  output?: string
}

export interface RenderedReport {
  status: Status
  version?: string
  releaseId?: string
  serviceId?: string
  description?: string
  output?: string
  notes?: string[]
  checks: Record<string, RenderedCheck[]>
}

export interface RenderOptions {
  /** Include error text, observed values, times and the service's metadata. Anonymous callers get statuses only. */
  detailed: boolean
}

/**
 * Renders a report as an `application/health+json` object. Anonymous (non-detailed) bodies carry the
 * overall status, a generic top-level output (`maintenance`, `starting`, ...) and each check's status.
 */
export function toHealthJson(
  report: HealthReport,
  health: Health,
  { detailed }: RenderOptions,
): RenderedReport {
  const body: RenderedReport = { status: report.status, checks: {} }
  if (detailed) {
    if (health.version !== undefined) body.version = health.version
    if (health.releaseId !== undefined) body.releaseId = health.releaseId
    if (health.serviceId !== undefined) body.serviceId = health.serviceId
    if (health.description !== undefined) body.description = health.description
  }
  if (report.output !== undefined) body.output = report.output
  if (detailed) {
    const notes = maintenanceNotes(report)
    if (notes.length > 0) body.notes = notes
  }
  for (const result of report.checks) addCheck(body.checks, result, detailed)
  return body
}

function addCheck(checks: Record<string, RenderedCheck[]>, result: CheckResult, detailed: boolean): void {
  push(checks, `${result.name}:${result.measurement}`, primary(result, detailed))
  if (!result.measurements) return
  for (const [measurement, value] of Object.entries(result.measurements)) {
    const status = value?.status ?? result.status
    const entry: RenderedCheck = detailed
      ? { ...identity(result), observedValue: value?.observedValue, status, time: result.time }
      : { status }
    if (detailed && value?.observedUnit !== undefined) entry.observedUnit = value.observedUnit
    push(checks, `${result.name}:${measurement}`, entry)
  }
}

function primary(result: CheckResult, detailed: boolean): RenderedCheck {
  if (!detailed) return { status: result.status }
  const entry: RenderedCheck = { ...identity(result) }
  if (result.observedValue !== undefined) entry.observedValue = result.observedValue
  if (result.observedUnit !== undefined) entry.observedUnit = result.observedUnit
  entry.status = result.status
  entry.time = result.time
  if (result.output !== undefined) entry.output = result.output
  return entry
}

function identity(result: CheckResult): { componentId?: string; componentType: string; status: Status } {
  return result.componentId === undefined
    ? { componentType: result.componentType, status: result.status }
    : { componentId: result.componentId, componentType: result.componentType, status: result.status }
}

function push(checks: Record<string, RenderedCheck[]>, key: string, entry: RenderedCheck): void {
  const list = checks[key]
  if (list) list.push(entry)
  else checks[key] = [entry]
}

function maintenanceNotes(report: HealthReport): string[] {
  const { maintenance } = report
  const notes: string[] = []
  if (maintenance.enabled) {
    let note = `maintenance since ${maintenance.since ?? 'unknown'} (${maintenance.source})`
    if (maintenance.reason) note += `: ${maintenance.reason}`
    notes.push(note)
  }
  if (maintenance.stale)
    notes.push(maintenance.note ?? `maintenance state from ${maintenance.source} may be stale`)
  return notes
}
