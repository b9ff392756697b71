export type { NatsCheckDefinition, NatsCheckOptions, NatsTarget } from './nats-check.js'
export { natsCheck } from './nats-check.js'
