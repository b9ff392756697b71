import { addHealthService, shutdownGrpcServer } from '@healthgate/grpc'

/**
 * Serves grpc.health.v1 for `health` on `GRPC_PORT`, bound to `host`: the same checks, cache, maintenance
 * and drain as the HTTP routes. Resolves `{ port, stop }`; grpc-js is loaded only when the demo asks for it.
 */
export async function startGrpcHealth(health, { port, host }) {
  const grpc = await import('@grpc/grpc-js')
  const server = new grpc.Server()
  const service = addHealthService(server, health)
  const bound = await new Promise((resolve, reject) =>
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, p) => (error ? reject(error) : resolve(p)),
    ),
  )
  return { port: bound, stop: () => shutdownGrpcServer(server, { service, timeoutMs: 5000 }) }
}
