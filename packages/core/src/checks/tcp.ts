import { connect } from 'node:net'
import { abortReason, untilAborted } from '../primitives/deadline.js'
import { optionReader } from '../primitives/options.js'
import type { CheckDefinition } from '../types.js'
import { type BuiltinCheckOptions, baseDefinition, COMMON_KEYS, checkName, nameFrom } from './common.js'

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
  const read = optionReader('tcpCheck')
  const opts = read.object(options, KEYS)
  const host = read.nonEmptyString('host', opts.host) ?? read.fail('host', 'a non-empty string', undefined)
  const port = opts.port as number
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    read.fail('port', 'an integer from 1 to 65535', port)
  }
  const name = checkName(read, opts.name, nameFrom(`${host}-${port}`, 'tcp'))
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  const base = baseDefinition(read, name, opts, { critical: true, componentType: 'component' })

  const check = async (signal: AbortSignal): Promise<void> => {
    if (signal.aborted) throw abortReason(signal)
    const socket = connect({ host, port })
    const connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      // Stays attached after settling: a late 'error' on an emitter without listeners would crash the process.
      socket.on('error', (error: NodeJS.ErrnoException) => {
        reject(
          new Error(`TCP connect to ${address} failed: ${error.code ?? error.message}`, { cause: error }),
        )
      })
    })
    try {
      await untilAborted(connected, signal)
    } finally {
      socket.destroy()
    }
  }

  return { ...base, check }
}
