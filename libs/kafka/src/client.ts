import { Kafka, logLevel as KafkaLogLevel, type LogEntry, type RetryOptions } from 'kafkajs';

import type { Logger } from 'pino';

import type { KafkaSettings } from './kafka.config.js';

const QUIET = [
  'KafkaJS v2.0.0 switched default partitioner',
  'Limiting retries for the idempotent producer',
];

/** The Kafka client for a service; kafkajs logs go through our pino logger. */
export function createKafka(
  settings: Pick<KafkaSettings, 'brokers' | 'clientId' | 'connectionTimeoutMs'>,
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
