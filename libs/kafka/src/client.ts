import { readFileSync } from 'node:fs';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

import {
  Kafka,
  type ISocketFactory,
  logLevel as KafkaLogLevel,
  type LogEntry,
  type RetryOptions,
  type SASLOptions,
} from 'kafkajs';

import { ConfigError, type FieldError } from '@paysync/errors';

import type { KafkaSettings } from './kafka.config.js';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';

const QUIET = [
  'KafkaJS v2.0.0 switched default partitioner',
  'Limiting retries for the idempotent producer',
];

export type KafkaConnectionSettings = Pick<
  KafkaSettings,
  'ssl' | 'sslCaFile' | 'saslMechanism' | 'saslUsername' | 'saslPassword'
>;

/**
 * TLS and SASL options for kafkajs from our settings (managed clusters: MSK, Confluent Cloud,
 * Aiven...). A CA file implies TLS. SASL without both credentials is a configuration error named
 * at start-up, not an authentication failure on the first request.
 */
export function kafkaConnectionOptions(
  settings: KafkaConnectionSettings,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } {
  const out: { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } = {};
  if (settings.sslCaFile) {
    out.ssl = { ca: [readFile(settings.sslCaFile)] };
  } else if (settings.ssl) {
    out.ssl = true;
  }
  if (settings.saslMechanism) {
    const problems: FieldError[] = [];
    if (!settings.saslUsername)
      problems.push({
        path: 'KAFKA_SASL_USERNAME',
        message: 'is required with KAFKA_SASL_MECHANISM',
      });
    if (!settings.saslPassword)
      problems.push({
        path: 'KAFKA_SASL_PASSWORD',
        message: 'is required with KAFKA_SASL_MECHANISM',
      });
    if (problems.length > 0) throw new ConfigError(problems);
    out.sasl = {
      mechanism: settings.saslMechanism,
      username: settings.saslUsername as string,
      password: settings.saslPassword as string,
    } as SASLOptions;
  }
  return out;
}

/**
 * kafkajs's own socket factory plus TCP_NODELAY, as the Java client sets it. kafkajs leaves
 * Nagle's algorithm on, which holds a small request written while another is unanswered (a
 * heartbeat or an offset commit behind a fetch the broker is holding) until the broker
 * acknowledges the first, and the tail of a request larger than one segment (a coalesced produce
 * of many webhooks) likewise. Requests are written whole, so Nagle saves nothing here.
 */
const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

/** The Kafka client for a service; kafkajs logs go through our pino logger. */
export function createKafka(
  settings: Pick<KafkaSettings, 'brokers' | 'clientId' | 'connectionTimeoutMs'> &
    KafkaConnectionSettings,
  logger: Logger,
  service: string,
  retry: RetryOptions = { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: settings.clientId ?? `paysync-${service}`,
    brokers: [...settings.brokers],
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: 30_000,
    retry,
    socketFactory: noDelaySocketFactory,
    ...kafkaConnectionOptions(settings),
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        // Known, deliberate choices of ours that kafkajs warns about on every producer.
        if (QUIET.some((q) => message.startsWith(q))) return log.debug(extra, message);
        if (level === KafkaLogLevel.ERROR) log.error(extra, message);
        else if (level === KafkaLogLevel.WARN) log.warn(extra, message);
        else log.debug(extra, message);
      },
  });
}
