import { SYNC_COMMAND, TOPICS, syncCommandSchema, type SyncCommand } from '@paysync/contracts';
import { withTenant } from '@paysync/db';
import { TypedConsumer, topicName, type Kafka, type Received } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import type { SyncUnitRepository } from './sync-unit.repository.js';
import type { SyncWorkerPool } from './sync-worker-pool.js';

export interface SyncCommandsConsumerDeps {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly syncUnitRepository: SyncUnitRepository;
  readonly syncWorkerPool: SyncWorkerPool;
  readonly config: {
    readonly kafka: { readonly topicPrefix: string };
    readonly syncRunner: { readonly groupId: string };
  };
}

/**
 * Consumes `billing.sync.command.v1`. The session row is the source of truth, so commands are
 * idempotent wake-ups: `start`/`restart` plan a pending session, `resume` puts a failed or
 * cancelled one back to running from its checkpoints, `cancel` only wakes the workers (the status
 * is already set; they stop at their next page). An invalid command is logged and skipped.
 */
export class SyncCommandsConsumer extends TypedConsumer<SyncCommand> {
  readonly #units: SyncUnitRepository;
  readonly #pool: SyncWorkerPool;
  readonly #logger: Logger;

  constructor({
    kafka,
    logger,
    syncUnitRepository,
    syncWorkerPool,
    config,
  }: SyncCommandsConsumerDeps) {
    super({
      kafka,
      logger,
      groupId: config.syncRunner.groupId,
      topics: [topicName(TOPICS.syncCommand, config.kafka.topicPrefix)],
      schema: syncCommandSchema,
      messageType: SYNC_COMMAND,
      eachMessage: (received) => this.#handle(received),
    });
    this.#units = syncUnitRepository;
    this.#pool = syncWorkerPool;
    this.#logger = logger.child({ component: 'SyncCommandsConsumer' });
  }

  async #handle(received: Received<SyncCommand>): Promise<void> {
    if (!received.valid) {
      this.#logger.warn({ offset: received.message.offset }, 'Invalid sync command skipped');
      return;
    }
    const command = received.value;
    const log = this.#logger.child({ sessionId: command.sessionId, kind: command.kind });
    // On behalf of the command's workspace (row-level security).
    await withTenant(command.workspaceId, async () => {
      if (command.kind === 'start' || command.kind === 'restart') {
        if (await this.#units.plan(command.sessionId)) log.info('Sync session planned');
      } else if (command.kind === 'resume') {
        if (await this.#units.resume(command.sessionId)) log.info('Sync session resumed');
      }
    });
    this.#pool.poke();
  }
}
