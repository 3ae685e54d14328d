import { z } from 'zod';

import { bool, csv, envVar, positiveInt } from '@paysync/config';

export const kafkaConfigSchema = {
  brokers: envVar('KAFKA_BROKERS', csv(), 'Kafka bootstrap servers, comma-separated host:port'),
  clientId: envVar(
    'KAFKA_CLIENT_ID',
    z.string().optional(),
    'Kafka client id (default: the service name)',
  ),
  topicPrefix: envVar(
    'KAFKA_TOPIC_PREFIX',
    z
      .string()
      .regex(/^[a-zA-Z0-9._-]*$/, 'only letters, digits, dot, underscore and dash')
      .default(''),
    'Prefix for every topic name (isolates environments or test runs sharing a cluster)',
  ),
  consumersEnabled: envVar(
    'KAFKA_CONSUMERS_ENABLED',
    bool().default(true),
    'Start this service’s Kafka consumers (tests switch them off when not needed)',
  ),
  produceTimeoutMs: envVar(
    'KAFKA_PRODUCE_TIMEOUT_MS',
    positiveInt().default(5000),
    'Upper bound for one acks=all produce before the caller falls back or fails',
  ),
  connectionTimeoutMs: envVar(
    'KAFKA_CONNECTION_TIMEOUT_MS',
    positiveInt().default(3000),
    'TCP connection timeout to a broker',
  ),
};

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId?: string | undefined;
  readonly topicPrefix: string;
  readonly consumersEnabled: boolean;
  readonly produceTimeoutMs: number;
  readonly connectionTimeoutMs: number;
}
