export type { MqttCheckDefinition, MqttCheckOptions, MqttTarget } from './mqtt-check.js'
export { mqttCheck } from './mqtt-check.js'
