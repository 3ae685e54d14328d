import { z } from 'zod';

import { bool, csv, envVar, positiveInt, secret } from '@paysync/config';

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
  createTopics: envVar(
    'KAFKA_CREATE_TOPICS',
    bool().default(true),
    'Create missing topics at start-up (local dev); false on clusters that grant no CreateTopics: `paysync topics apply` creates them and services wait until they exist',
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
  ssl: envVar(
    'KAFKA_SSL',
    bool().default(false),
    'Connect to the brokers over TLS (managed clusters); the system CAs are trusted unless KAFKA_SSL_CA_FILE is set',
  ),
  sslCaFile: envVar(
    'KAFKA_SSL_CA_FILE',
    z.string().min(1).optional(),
    'PEM file of the CA(s) that signed the brokers’ certificates (e.g. a mounted Secret); implies KAFKA_SSL',
  ),
  saslMechanism: envVar(
    'KAFKA_SASL_MECHANISM',
    z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    'SASL mechanism: plain, scram-sha-256 or scram-sha-512 (unset: no SASL); use with TLS, PLAIN sends the password as is',
  ),
  saslUsername: envVar(
    'KAFKA_SASL_USERNAME',
    z.string().min(1).optional(),
    'SASL user name (required with KAFKA_SASL_MECHANISM)',
  ),
  saslPassword: secret(
    'KAFKA_SASL_PASSWORD',
    z.string().min(1).optional(),
    'SASL password (required with KAFKA_SASL_MECHANISM)',
  ),
};

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId?: string | undefined;
  readonly topicPrefix: string;
  readonly consumersEnabled: boolean;
  /** Absent means true (local dev): services create missing topics at start-up. */
  readonly createTopics?: boolean | undefined;
  readonly produceTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly ssl?: boolean | undefined;
  readonly sslCaFile?: string | undefined;
  readonly saslMechanism?: KafkaSaslMechanism | undefined;
  readonly saslUsername?: string | undefined;
  readonly saslPassword?: string | undefined;
}
