import type { EventEmitter } from 'node:events'
import type { FailoverMonitor } from '@healthgate/failover'

export interface Backend {
  readonly name: string
  port: number
  readonly healthUrl: string
  readonly connectUrl: string
  readonly running: boolean
  /** Listens again on the same port. */
  start(): Promise<void>
  /** Drops every WebSocket client and closes the port. */
  stop(): Promise<void>
}

export function startBackend(options: { name: string; port?: number; host?: string }): Promise<Backend>

export interface DemoClient {
  readonly connectedTo: string | undefined
  /** Emits `connected` with `{ name, url }`. */
  readonly events: EventEmitter
  waitFor(name: string, timeoutMs?: number): Promise<void>
  close(): void
}

export function connectClient(options: {
  monitor: FailoverMonitor
  retryMs?: number
  log?: (line: string) => void
}): DemoClient

export interface DemoOptions {
  /** Ports of primary and secondary. Default: `[0, 0]` (free ports). */
  ports?: [number, number]
  /** Default: 1000. */
  intervalMs?: number
  /** Default: the monitor's (min(2000, intervalMs / 2)). */
  timeoutMs?: number
  /** Default: 3. */
  failureThreshold?: number
  /** Default: 2. */
  successThreshold?: number
  /** Delay before the client reconnects after a dropped connection. Default: `intervalMs`. */
  retryMs?: number
  /** Default: silent. */
  log?: (line: string) => void
}

export interface Demo {
  primary: Backend
  secondary: Backend
  monitor: FailoverMonitor
  client: DemoClient
  close(): Promise<void>
}

export function createFailoverDemo(options?: DemoOptions): Promise<Demo>
