import type { CheckDefinition, CheckOptions, CheckOutcome } from '@healthgate/core'
import {
  CHECK_OPTION_KEYS,
  checkAbortError,
  describeFailure,
  oneAtATime,
  optionReader,
  peerExport,
  readCheckName,
  readCheckOptions,
  untilAborted,
} from '@healthgate/core/primitives'
import type { IClientOptions, MqttClient } from 'mqtt'

/**
 * What the check talks to:
 * - `{ client }`: your `MqttClient`; the check publishes on it and never ends it.
 * - `{ url }`: the check opens one client of its own, lazily (without reconnecting by itself), reuses it,
 *   replaces it after a failure, and ends it in `close()`.
 */
export type MqttTarget = { client: MqttClient } | { url: string; clientOptions?: IClientOptions }

/** Options of {@link mqttCheck}: the common check options plus the MQTT ones. */
export interface MqttCheckOptions extends CheckOptions {
  /** Check name. Default: `'mqtt'`. */
  name?: string
  /** Topic of the QoS 1 round trip (an empty, non-retained message). Default: `'healthgate/health-check'`. */
  topic?: string
}

/** A check definition whose `close()` ends the client the check owns (if it owns one). */
export interface MqttCheckDefinition extends CheckDefinition {
  close: () => Promise<void>
}

const KEYS = ['name', 'topic', ...CHECK_OPTION_KEYS]
const TARGET = '`{ client }` or `{ url }`'
const noop = (): void => {}
const round = (ms: number): number => Math.round(ms * 100) / 100
const CONNECT_TIMEOUT_MS = 2000

/** Creates an MQTT check: the client is connected and a QoS 1 publish is acknowledged within the deadline. */
export function mqttCheck(target: MqttTarget, options: MqttCheckOptions = {}): MqttCheckDefinition {
  const read = optionReader('mqttCheck')
  if (target === null || typeof target !== 'object') read.fail('target', TARGET, target)
  const opts = read.object(options, KEYS)
  const name = readCheckName(read, opts.name, 'mqtt')
  const topic = opts.topic ?? 'healthgate/health-check'
  if (typeof topic !== 'string' || topic === '' || /[#+]/.test(topic)) {
    return read.fail('topic', 'a topic name without wildcards', topic)
  }
  const base = { name, ...readCheckOptions(read, opts, { critical: true, componentType: 'component' }) }

  if ('client' in target) {
    const { client } = target
    if (!client || typeof client.publish !== 'function' || typeof client.end !== 'function') {
      read.fail('client', 'an MqttClient', client)
    }
    return {
      ...base,
      check: oneAtATime((signal) => roundTrip(client, topic, signal), {
        busy: 'previous health publish still unacknowledged',
      }),
      close: async () => {},
    }
  }
  if ('url' in target) {
    const { url, clientOptions } = target
    if (typeof url !== 'string' || url === '') read.fail('url', 'a non-empty string', url)
    const own = dedicatedClient(url, { connectTimeout: CONNECT_TIMEOUT_MS, ...clientOptions }, topic)
    return { ...base, check: own.check, close: own.close }
  }
  return read.fail('target', TARGET, target)
}

async function roundTrip(client: MqttClient, topic: string, _signal: AbortSignal): Promise<CheckOutcome> {
  // A disconnected client would queue the message until it reconnects: that is not an answer.
  if (!client.connected) throw new Error('client not connected')
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    client.publish(topic, '', { qos: 1, retain: false }, (error) => (error ? reject(error) : resolve()))
  }).catch((error: unknown) => {
    throw describeFailure('publish failed', error)
  })
  return { observedValue: round(performance.now() - started), observedUnit: 'ms' }
}

type Connect = (url: string, options: IClientOptions) => MqttClient

/** Loads the `mqtt` peer dependency only when the check has to open its own connection. */
const loadConnect = peerExport<Connect>('mqtt', 'connect', () => import('mqtt'))

/** Ends a client at once (`force`: no waiting for in-flight messages a hung broker never acknowledges). */
function destroy(client: MqttClient): void {
  client.on('error', noop)
  client.end(true)
}

/** Resolves on the client's first `connect`, rejects on an error or close before it; `onAbort` cuts it off. */
function connected(client: MqttClient): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      client.removeListener('connect', onConnect)
      client.removeListener('error', onError)
      client.removeListener('close', onClose)
    }
    const onConnect = (): void => {
      cleanup()
      resolve()
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    const onClose = (): void => {
      cleanup()
      reject(new Error('connection closed'))
    }
    client.on('connect', onConnect)
    client.on('error', onError)
    client.on('close', onClose)
  })
}

/** The `{ url }` target: one client of the check's own, opened lazily and replaced on failure. */
function dedicatedClient(
  url: string,
  options: IClientOptions,
  topic: string,
): { check: CheckDefinition['check']; close: () => Promise<void> } {
  let current: MqttClient | undefined
  let closed = false
  // Loads the driver now rather than within the first run's deadline.
  loadConnect().catch(noop)

  const discard = (client: MqttClient): void => {
    if (current === client) current = undefined
    destroy(client)
  }

  const check: CheckDefinition['check'] = async (signal) => {
    if (closed) throw new Error('check closed')
    let client = current
    if (!client) {
      const connect = await loadConnect()
      if (closed) throw new Error('check closed')
      // No reconnecting of its own: a lost connection fails the check, and the next run connects anew.
      const own = connect(url, { ...options, reconnectPeriod: 0 })
      // Errors after the first connect surface in the next run; an 'error' without listener would crash.
      own.on('error', noop)
      own.on('close', () => discard(own))
      current = own
      try {
        await untilAborted(connected(own), signal)
      } catch (error) {
        discard(own)
        throw signal.aborted ? checkAbortError(signal) : describeFailure('cannot connect', error)
      }
      client = own
    }
    const active = client
    const onAbort = (): void => discard(active)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      // Settles at the deadline: the client is ended then, so nothing of this run stays in flight.
      return await untilAborted(roundTrip(active, topic, signal), signal)
    } catch (error) {
      discard(active)
      throw signal.aborted ? checkAbortError(signal) : error
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  const close = async (): Promise<void> => {
    closed = true
    const client = current
    current = undefined
    if (!client) return
    // A graceful DISCONNECT when the broker answers; a hung one is cut off.
    const timer = setTimeout(() => destroy(client), 1000)
    try {
      await client.endAsync()
    } catch {
      // Already gone.
    } finally {
      clearTimeout(timer)
    }
  }

  return { check, close }
}
