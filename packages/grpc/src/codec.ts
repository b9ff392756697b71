import type { ServiceDefinition } from '@grpc/grpc-js'

// The grpc.health.v1 messages are three tiny proto3 messages, so they are encoded here instead of loading
// health.proto at runtime: no protobuf runtime to install, no .proto file to ship, and a cached Check
// answer is one preallocated buffer. Wire compatibility is tested against grpc-health-check's health.proto.

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus]

// A HealthCheckResponse is field 1 (varint) only; proto3 omits the default (UNKNOWN = 0).
const RESPONSES: readonly Buffer[] = [
  Buffer.alloc(0),
  Buffer.from([0x08, 1]),
  Buffer.from([0x08, 2]),
  Buffer.from([0x08, 3]),
]

const encodeResponse = (status: ServingStatus): Buffer => RESPONSES[status] as Buffer

function readVarint(buffer: Buffer, offset: number): [value: number, next: number] {
  let value = 0
  let shift = 0
  let at = offset
  for (;;) {
    if (at >= buffer.length) throw new RangeError('truncated varint')
    const byte = buffer[at++] as number
    value += (byte & 0x7f) * 2 ** shift
    if (byte < 0x80) return [value, at]
    shift += 7
    if (shift > 63) throw new RangeError('varint too long')
  }
}

/** A decoded HealthCheckRequest (an object: grpc-js treats a falsy request, such as `""`, as none). */
export interface HealthRequest {
  service: string
}

/** HealthCheckRequest: `string service = 1`; unknown fields are skipped, as protobuf requires. */
function decodeRequest(buffer: Buffer): HealthRequest {
  let service = ''
  let at = 0
  while (at < buffer.length) {
    const [tag, next] = readVarint(buffer, at)
    at = next
    const wireType = tag & 7
    if (wireType === 0) at = readVarint(buffer, at)[1]
    else if (wireType === 1) at += 8
    else if (wireType === 5) at += 4
    else if (wireType === 2) {
      const [length, start] = readVarint(buffer, at)
      at = start + length
      if (at > buffer.length) throw new RangeError('truncated field')
      if (tag >>> 3 === 1) service = buffer.toString('utf8', start, at)
    } else throw new RangeError(`unsupported wire type ${wireType}`)
  }
  return { service }
}

function decodeResponse(buffer: Buffer): { status: number } {
  return { status: buffer.length >= 2 && buffer[0] === 0x08 ? readVarint(buffer, 1)[0] : 0 }
}

function lengthPrefixed(fieldTag: number, body: Buffer): Buffer[] {
  const length: number[] = []
  let n = body.length
  while (n >= 0x80) {
    length.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  length.push(n)
  return [Buffer.from([fieldTag, ...length]), body]
}

/** HealthListResponse: `map<string, HealthCheckResponse> statuses = 1`, i.e. repeated {key = 1, value = 2}. */
function encodeList(statuses: ReadonlyMap<string, ServingStatus>): Buffer {
  const parts: Buffer[] = []
  for (const [name, status] of statuses) {
    const entry = Buffer.concat([
      ...lengthPrefixed(0x0a, Buffer.from(name, 'utf8')),
      ...lengthPrefixed(0x12, encodeResponse(status)),
    ])
    parts.push(...lengthPrefixed(0x0a, entry))
  }
  return Buffer.concat(parts)
}

const encodeRequest = ({ service }: HealthRequest): Buffer =>
  service === '' ? Buffer.alloc(0) : Buffer.concat(lengthPrefixed(0x0a, Buffer.from(service, 'utf8')))

const identity = <T>(value: T): T => value

/** The grpc.health.v1.Health service: handlers take the service name and answer a `ServingStatus`. */
export const healthServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
  Watch: {
    path: '/grpc.health.v1.Health/Watch',
    requestStream: false,
    responseStream: true,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
  List: {
    path: '/grpc.health.v1.Health/List',
    requestStream: false,
    responseStream: false,
    requestSerialize: () => Buffer.alloc(0),
    requestDeserialize: () => ({}),
    responseSerialize: encodeList,
    responseDeserialize: identity,
  },
} as unknown as ServiceDefinition
