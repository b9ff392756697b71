export type { AmqpCheckDefinition, AmqpCheckOptions, AmqpTarget } from './amqp-check.js'
export { amqpCheck } from './amqp-check.js'
