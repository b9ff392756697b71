import type { CheckDefinition, CheckOptions, CheckOutcome } from '@healthgate/core'
import {
  CHECK_OPTION_KEYS,
  describeFailure,
  type OwnConnection,
  oneAtATime,
  optionReader,
  ownConnection,
  peerExport,
  readCheckName,
  readCheckOptions,
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
function dedicatedClient(url: string, options: IClientOptions, topic: string): OwnConnection {
  // Loads the driver now rather than within the first run's deadline.
  loadConnect().catch(noop)
  return ownConnection<MqttClient>({
    open: async () => {
      const connect = await loadConnect()
      // No reconnecting of its own: a lost connection fails the check, and the next run connects anew.
      const client = connect(url, { ...options, reconnectPeriod: 0 })
      // Errors after the first connect surface in the next run; an 'error' without listener would crash.
      client.on('error', noop)
      try {
        await connected(client)
      } catch (error) {
        destroy(client)
        throw error
      }
      return client
    },
    onLost: (client, lost) => client.on('close', lost),
    destroy,
    // A graceful DISCONNECT when the broker answers; a hung one is cut off.
    end: (client) => client.endAsync(),
    probe: (client, signal) => roundTrip(client, topic, signal),
  })
}
