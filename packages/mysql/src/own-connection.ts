import type { CheckDefinition, CheckOutcome } from '@healthgate/core'
import { peerExport } from '@healthgate/core/primitives'
import type { ConnectionOptions } from 'mysql2'
import { type CoreConnection, describeFailure, destroy, noop, ping, until } from './driver.js'

type CreateConnection = (config: ConnectionOptions) => CoreConnection

/** Loads the `mysql2` peer dependency only when the check has to open its own connection. */
const loadDriver = peerExport<CreateConnection>('mysql2', 'createConnection', () => import('mysql2'))

function connect(connection: CoreConnection): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onConnect = (): void => {
      connection.removeListener('error', onError)
      resolve()
    }
    const onError = (error: unknown): void => {
      connection.removeListener('connect', onConnect)
      reject(error)
    }
    connection.once('connect', onConnect)
    connection.once('error', onError)
  })
}

const round = (ms: number): number => Math.round(ms * 100) / 100

/** The `{ uri }` target: one connection of the check's own, opened lazily and replaced on failure. */
export function dedicatedConnection(config: ConnectionOptions): {
  check: CheckDefinition['check']
  close: () => Promise<void>
} {
  let current: CoreConnection | undefined
  let connected: Promise<void> | undefined
  let ready = false
  let closed = false
  // Loads the driver now rather than within the first run's deadline.
  loadDriver().catch(noop)

  const discard = (connection: CoreConnection): void => {
    if (current === connection) {
      current = undefined
      connected = undefined
      ready = false
    }
    destroy(connection)
  }

  const check = async (signal: AbortSignal): Promise<CheckOutcome> => {
    if (closed) throw new Error('check closed')
    if (!current) {
      const create = await loadDriver()
      if (closed) throw new Error('check closed')
      const own = create(config)
      current = own
      connected = connect(own)
      // An idle connection that dies must not crash the process; the next run notices and reconnects.
      own.on('error', () => discard(own))
      own.on('end', () => discard(own))
    }
    const active = current
    if (!ready) {
      try {
        await until(connected as Promise<void>, signal, () => discard(active))
        ready = true
      } catch (error) {
        discard(active)
        throw describeFailure('cannot connect', error)
      }
    }
    const started = performance.now()
    try {
      await until(ping(active), signal, () => discard(active))
    } catch (error) {
      discard(active)
      throw describeFailure('ping failed', error)
    }
    return { observedValue: round(performance.now() - started), observedUnit: 'ms' }
  }

  const close = async (): Promise<void> => {
    closed = true
    const connection = current
    current = undefined
    if (!connection) return
    if (!ready) {
      destroy(connection)
      return
    }
    ready = false
    connection.on('error', noop)
    // A graceful goodbye when the server answers; a hung one is cut off.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        destroy(connection)
        resolve()
      }, 1000)
      connection.end(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  return { check, close }
}
