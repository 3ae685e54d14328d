export { createKafka } from './client.js';
export { KafkaConsumer, oneByOne } from './consumer.js';
export type { BatchContext, ConsumedMessage, KafkaConsumerOptions } from './consumer.js';
export {
  HEADERS,
  createEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  readHeaders,
} from './envelope.js';
export type { Envelope, EnvelopeInput } from './envelope.js';
export { KafkaHealth } from './health.js';
export { kafkaConfigSchema } from './kafka.config.js';
export type { KafkaSettings } from './kafka.config.js';
export { KafkaProducer } from './producer.js';
export type { KafkaProducerDeps, OutgoingMessage } from './producer.js';
export { TopicBootstrap } from './topic-bootstrap.js';
export { ensureTopics, topicName } from './topics.js';
export { syncCommandMessage, webhookReceivedMessage } from './messages.js';
