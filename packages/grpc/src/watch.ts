import type { ServerWritableStream } from '@grpc/grpc-js'
import type { Health } from '@healthgate/core'
import { type HealthRequest, ServingStatus } from './codec.js'

export type WatchCall = ServerWritableStream<HealthRequest, ServingStatus>

interface Watched {
  streams: Set<WatchCall>
  /** `undefined` until the first evaluation settled; streams that join meanwhile get it then. */
  status: ServingStatus | undefined
}

/**
 * The Watch streams of one health service, grouped by service name. One subscription to the health's
 * events serves every stream, and exists only while a stream is open; a change is computed once per
 * watched name from the latest results (nothing runs), then written to that name's streams.
 */
export class WatchHub {
  readonly #health: Health
  readonly #statusOf: (service: string) => ServingStatus
  readonly #initial: (service: string) => Promise<unknown>
  readonly #watched = new Map<string, Watched>()
  #streams = 0
  #unsubscribe: (() => void) | undefined

  constructor(
    health: Health,
    statusOf: (service: string) => ServingStatus,
    initial: (service: string) => Promise<unknown>,
  ) {
    this.#health = health
    this.#statusOf = statusOf
    this.#initial = initial
  }

  get size(): number {
    return this.#streams
  }

  add(call: WatchCall): void {
    const service = call.request.service
    let watched = this.#watched.get(service)
    if (watched === undefined) {
      watched = { streams: new Set(), status: undefined }
      this.#watched.set(service, watched)
      this.#start(service, watched)
    } else if (watched.status !== undefined) call.write(watched.status)
    watched.streams.add(call)
    this.#streams++
    if (this.#unsubscribe === undefined) this.#subscribe()
    const release = () => this.#remove(service, call)
    call.once('cancelled', release)
    call.once('close', release)
    call.once('error', release)
  }

  /** Ends every stream with OK (for a graceful server shutdown, which waits for open calls). */
  close(): void {
    for (const watched of [...this.#watched.values()]) {
      for (const call of [...watched.streams]) call.end()
    }
    this.#watched.clear()
    this.#streams = 0
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  #start(service: string, watched: Watched): void {
    const settle = (status: ServingStatus) => {
      if (watched.status !== undefined) return
      watched.status = status
      for (const call of watched.streams) call.write(status)
    }
    this.#initial(service).then(
      () => settle(this.#statusOf(service)),
      () => settle(ServingStatus.NOT_SERVING),
    )
  }

  #remove(service: string, call: WatchCall): void {
    const watched = this.#watched.get(service)
    if (watched === undefined || !watched.streams.delete(call)) return
    this.#streams--
    if (watched.streams.size === 0) this.#watched.delete(service)
    if (this.#streams === 0) {
      this.#unsubscribe?.()
      this.#unsubscribe = undefined
    }
  }

  #subscribe(): void {
    const refresh = () => this.#refresh()
    const offs = [
      this.#health.onCheckChange(refresh),
      this.#health.onStatusChange(refresh),
      this.#health.onLifecycleChange(refresh),
    ]
    this.#unsubscribe = () => {
      for (const off of offs) off()
    }
  }

  #refresh(): void {
    for (const [service, watched] of this.#watched) {
      if (watched.status === undefined) continue
      const status = this.#statusOf(service)
      if (status === watched.status) continue
      if (watched.status === ServingStatus.SERVICE_UNKNOWN) {
        // A check added under this name: its first result comes from one evaluation, as for a new name.
        watched.status = undefined
        this.#start(service, watched)
        continue
      }
      watched.status = status
      for (const call of watched.streams) call.write(status)
    }
  }
}
