import type { CheckResult, HealthReport, Status } from './types.js'

/** Media type of health bodies (draft-inadarei-api-health-check-06). */
export const HEALTH_CONTENT_TYPE = 'application/health+json; charset=utf-8'

/** One entry of a rendered `checks` list (application/health+json). */
export interface RenderedCheck {
  componentId?: string
  componentType?: string
  observedValue?: unknown
  observedUnit?: string
  status: Status
  time?: string
  output?: string
}

/** A rendered application/health+json body. */
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

/** The service metadata of detailed bodies; a `Health` carries it. */
export interface ServiceMetadata {
  readonly version?: string | undefined
  readonly releaseId?: string | undefined
  readonly serviceId?: string | undefined
  readonly description?: string | undefined
}

/** Options of {@link toHealthJson}. */
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
  health: ServiceMetadata,
  { detailed }: RenderOptions,
): RenderedReport {
  // Key order is the reading order of the draft's examples: status, metadata, output, notes, checks.
  const body = { status: report.status } as RenderedReport
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
  body.checks = {}
  for (const result of report.checks) addCheck(body.checks, result, detailed)
  return body
}

function addCheck(checks: Record<string, RenderedCheck[]>, result: CheckResult, detailed: boolean): void {
  const primaryKey = `${result.name}:${result.measurement}`
  // Anonymous callers get one status per check; the extra measurements are details.
  if (!detailed) {
    push(checks, primaryKey, { status: result.status })
    return
  }
  push(
    checks,
    primaryKey,
    entry(result, result.observedValue, result.observedUnit, result.status, result.output),
  )
  if (!result.measurements) return
  for (const [measurement, value] of Object.entries(result.measurements)) {
    const status = value?.status ?? result.status
    push(
      checks,
      `${result.name}:${measurement}`,
      entry(result, value?.observedValue, value?.observedUnit, status),
    )
  }
}

/** One detailed entry, keys in the draft's order. */
function entry(
  result: CheckResult,
  observedValue: unknown,
  observedUnit: string | undefined,
  status: Status,
  output?: string,
): RenderedCheck {
  const rendered = {} as RenderedCheck
  if (result.componentId !== undefined) rendered.componentId = result.componentId
  rendered.componentType = result.componentType
  if (observedValue !== undefined) rendered.observedValue = observedValue
  if (observedUnit !== undefined) rendered.observedUnit = observedUnit
  rendered.status = status
  rendered.time = result.time
  if (output !== undefined) rendered.output = output
  return rendered
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
  // A maintenance a store asked for and a fleet's budget holds back: why this instance still serves.
  else if (!maintenance.enabled && maintenance.note) notes.push(maintenance.note)
  return notes
}
