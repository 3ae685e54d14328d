import type { Kafka } from 'kafkajs';

import { SYNC_COMMAND, TOPICS, syncCommandSchema } from '@paysync/contracts';
import { KafkaConsumer, oneByOne, topicName, type ConsumedMessage } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import type { SyncUnitRepository } from './sync-unit.repository.js';
import type { SyncWorkerPool } from './sync-worker-pool.js';

/**
 * Consumes `billing.sync.command.v1`. The session row is the source of truth, so commands are
 * idempotent wake-ups: `start`/`restart` plan a pending session, `resume` puts a failed or
 * cancelled one back to running from its checkpoints, `cancel` only wakes the workers (the status
 * is already set; they stop at their next page). An invalid command is logged and skipped.
 */
export class SyncCommandsConsumer {
  readonly #consumer: KafkaConsumer;
  readonly #units: SyncUnitRepository;
  readonly #pool: SyncWorkerPool;
  readonly #logger: Logger;

  constructor(deps: {
    kafka: Kafka;
    logger: Logger;
    syncUnitRepository: SyncUnitRepository;
    syncWorkerPool: SyncWorkerPool;
    groupId: string;
    topicPrefix: string;
  }) {
    this.#units = deps.syncUnitRepository;
    this.#pool = deps.syncWorkerPool;
    this.#logger = deps.logger.child({ component: 'SyncCommandsConsumer' });
    this.#consumer = new KafkaConsumer({
      kafka: deps.kafka,
      logger: deps.logger,
      groupId: deps.groupId,
      topics: [topicName(TOPICS.syncCommand, deps.topicPrefix)],
      handleBatch: oneByOne((message) => this.#handle(message)),
    });
  }

  async start(): Promise<void> {
    await this.#consumer.start();
  }

  async stop(): Promise<void> {
    await this.#consumer.stop();
  }

  async #handle(message: ConsumedMessage): Promise<void> {
    const parsed =
      message.envelope?.type === SYNC_COMMAND
        ? syncCommandSchema.safeParse(message.envelope.payload)
        : undefined;
    if (!parsed?.success) {
      this.#logger.warn({ offset: message.offset }, 'Invalid sync command skipped');
      return;
    }
    const command = parsed.data;
    const log = this.#logger.child({ sessionId: command.sessionId, kind: command.kind });
    if (command.kind === 'start' || command.kind === 'restart') {
      if (await this.#units.plan(command.sessionId)) log.info('Sync session planned');
    } else if (command.kind === 'resume') {
      if (await this.#units.resume(command.sessionId)) log.info('Sync session resumed');
    }
    this.#pool.poke();
  }
}
