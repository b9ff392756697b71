import * as grpc from '@grpc/grpc-js'
import type { Health } from '@healthgate/core'
import { addHealthService, type GrpcHealthOptions, type GrpcHealthService } from '@healthgate/grpc'
import { service } from 'grpc-health-check'

// The client side uses grpc-health-check's own health.proto (through @grpc/proto-loader): the wire format of
// @healthgate/grpc's hand-written codec is checked against the standard definition, not against itself.
const HealthClient = grpc.makeGenericClientConstructor(service, 'Health')

export type Serving = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN'

export interface HealthStub {
  check(service: string, options?: { deadlineMs?: number }): Promise<Serving>
  list(): Promise<Record<string, Serving>>
  watch(service: string): Watcher
  close(): void
}

export interface Watcher {
  seen: Serving[]
  call: grpc.ClientReadableStream<{ status: Serving }>
  cancel(): void
}

interface RawClient extends grpc.Client {
  Check(
    request: object,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<{ status: Serving }>,
  ): void
  List(
    request: object,
    callback: grpc.requestCallback<{ statuses: Record<string, { status: Serving }> }>,
  ): void
  Watch(request: object): grpc.ClientReadableStream<{ status: Serving }>
}

/** A client; `userAgent` goes first in its `user-agent` (grpc-js sets that header itself, from the channel). */
export function connect(port: number, userAgent?: string): HealthStub {
  const options: grpc.ClientOptions = userAgent ? { 'grpc.primary_user_agent': userAgent } : {}
  const client = new HealthClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    options,
  ) as unknown as RawClient
  return {
    check: (name, { deadlineMs = 5000 } = {}) =>
      new Promise((resolve, reject) => {
        const metadata = new grpc.Metadata()
        client.Check({ service: name }, metadata, { deadline: Date.now() + deadlineMs }, (error, response) =>
          error ? reject(error) : resolve((response as { status: Serving }).status),
        )
      }),
    list: () =>
      new Promise((resolve, reject) =>
        client.List({}, (error, response) => {
          if (error) return reject(error)
          const out: Record<string, Serving> = {}
          for (const [name, value] of Object.entries(response?.statuses ?? {})) out[name] = value.status
          resolve(out)
        }),
      ),
    watch: (name) => {
      const call = client.Watch({ service: name })
      const seen: Serving[] = []
      call.on('data', (message: { status: Serving }) => seen.push(message.status))
      call.on('error', () => {}) // CANCELLED after cancel()
      return { seen, call, cancel: () => call.cancel() }
    },
    close: () => client.close(),
  }
}

export interface GrpcInstance {
  server: grpc.Server
  port: number
  service: GrpcHealthService
}

/** A real grpc-js server on loopback serving the health service and a trivial unary `Echo` RPC. */
export async function startGrpc(health: Health, options?: GrpcHealthOptions): Promise<GrpcInstance> {
  const server = new grpc.Server()
  const healthService = addHealthService(server, health, options)
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  )
  return { server, port, service: healthService }
}

export async function stopGrpc({ server, service: healthService }: GrpcInstance): Promise<void> {
  healthService.close()
  server.forceShutdown()
}

export const isGrpcError = (error: unknown, code: grpc.status): boolean =>
  error instanceof Error && (error as grpc.ServiceError).code === code
