export { createKafka, kafkaConnectionOptions } from './client.js';
export type { KafkaConnectionSettings } from './client.js';
export type { Kafka } from 'kafkajs';
export { KafkaConsumer } from './consumer.js';
export type { BatchContext, ConsumedMessage, KafkaConsumerOptions } from './consumer.js';
export { createEnvelope, decodeEnvelope, encodeEnvelope } from './envelope.js';
export type { Envelope, EnvelopeInput } from './envelope.js';
export {
  HEADERS,
  errorClassOf,
  errorMessageOf,
  readFailureHeaders,
  readHeaders,
} from './headers.js';
export type { FailureInfo } from './headers.js';
export { FailureRouter } from './failure-router.js';
export type { FailureRouterDeps, MessageFailure, RoutedFailure } from './failure-router.js';
export type { FailurePolicySettings, FailureRoute } from './failure-policy.js';
export { TypedConsumer } from './typed-consumer.js';
export type {
  ConsumerFailurePolicy,
  HandlerFailure,
  InvalidMessage,
  Received,
  RoutedMessage,
  TypedConsumerOptions,
  ValidMessage,
} from './typed-consumer.js';
export { KafkaHealth } from './health.js';
export { kafkaConfigSchema } from './kafka.config.js';
export type { KafkaSaslMechanism, KafkaSettings } from './kafka.config.js';
export { KafkaProducer, MAX_REQUEST_BYTES, encodedSize } from './producer.js';
export type { KafkaProducerDeps, OutgoingMessage } from './producer.js';
export { TopicBootstrap, applyTopics, ensureTopics } from './topic-bootstrap.js';
export type { TopicApplyReport, TopicLayout } from './topic-bootstrap.js';
export { topicName } from './topics.js';
export { syncCommandMessage, webhookReceivedMessage } from './messages.js';
export { KafkaMessageRejectedError, classifyProduceError } from './produce-errors.js';
export type { ProduceFailure } from './produce-errors.js';
