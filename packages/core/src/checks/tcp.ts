import { connect } from 'node:net'
import type { CheckDefinition } from '../types.js'
import {
  abortReason,
  type BuiltinCheckOptions,
  baseDefinition,
  COMMON_KEYS,
  checkName,
  nameFrom,
  nonEmptyString,
  readOptions,
} from './common.js'

export interface TcpCheckOptions extends BuiltinCheckOptions {
  /** Default: `'<host>-<port>'`, e.g. `'10.0.0.5-5672'`. */
  name?: string
  /** Host name or IP address to connect to. Required. */
  host: string
  /** TCP port, 1 to 65535. Required. */
  port: number
  /** Default: `true`. */
  critical?: boolean
}

const KEYS = ['name', ...COMMON_KEYS, 'host', 'port']

/**
 * Passes when a TCP connection to `host:port` is accepted, then closes it at once. The socket is
 * destroyed on success, on error and when the deadline aborts the attempt. Critical by default.
 */
export function tcpCheck(options: TcpCheckOptions): CheckDefinition {
  const opts = readOptions('tcpCheck', options, KEYS)
  const host = nonEmptyString('host', opts.host)
  if (host === undefined) throw new TypeError('Expected `host` to be a non-empty string, got undefined')
  const { port } = opts
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new TypeError(
      `Expected \`port\` to be an integer from 1 to 65535, got \`${typeof port === 'string' ? JSON.stringify(port) : String(port)}\``,
    )
  }
  const name = checkName(opts.name, nameFrom(`${host}-${port}`, 'tcp'))
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  const base = baseDefinition(name, opts, { critical: true, componentType: 'component' })

  const check = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(abortReason(signal))
        return
      }
      const socket = connect({ host, port })
      let settled = false
      const finish = (error?: unknown) => {
        if (settled) return
        settled = true
        signal.removeEventListener('abort', onAbort)
        socket.destroy()
        if (error === undefined) resolve()
        else reject(error)
      }
      const onAbort = () => finish(abortReason(signal))
      signal.addEventListener('abort', onAbort, { once: true })
      socket.once('connect', () => finish())
      // Stays attached after settling: a late 'error' on an emitter without listeners would crash the process.
      socket.on('error', (error: NodeJS.ErrnoException) => {
        finish(
          new Error(`TCP connect to ${address} failed: ${error.code ?? error.message}`, { cause: error }),
        )
      })
    })

  return { ...base, check }
}
