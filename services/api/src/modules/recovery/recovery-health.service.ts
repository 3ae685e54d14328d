import { TOPICS } from '@paysync/contracts';
import { topicName, type KafkaHealth } from '@paysync/kafka';

import type { Heartbeat, RecoveryHealthRepository } from './recovery-health.repository.js';

interface RecoveryComponent extends Heartbeat {
  /** Its last run succeeded. */
  readonly healthy: boolean;
}

export interface RecoveryHealth {
  readonly status: 'ok' | 'degraded';
  readonly dlqConsumer: {
    readonly groupId: string;
    readonly topic: string;
    readonly lag: number | null;
    readonly error: string | null;
  };
  readonly components: RecoveryComponent[];
  readonly redrives: {
    readonly waiting: number;
    readonly redriven: number;
    readonly resolved: number;
    readonly dead: number;
  };
}

export interface RecoveryHealthServiceDeps {
  readonly recoveryHealthRepository: RecoveryHealthRepository;
  readonly kafkaHealth: KafkaHealth;
  readonly config: {
    readonly api: { readonly recoveryGroupId: string };
    readonly kafka: { readonly topicPrefix: string };
  };
}

/**
 * The recovery service's health as a workspace sees it: how far its DLQ consumer lags, the last
 * run of each of its loops, and the workspace's dead letters by re-drive state. Degraded when the
 * lag is unknown, no loop has reported yet, or any loop's last run failed.
 */
export class RecoveryHealthService {
  readonly #repo: RecoveryHealthRepository;
  readonly #kafkaHealth: KafkaHealth;
  readonly #groupId: string;
  readonly #dlqTopic: string;

  constructor({ recoveryHealthRepository, kafkaHealth, config }: RecoveryHealthServiceDeps) {
    this.#repo = recoveryHealthRepository;
    this.#kafkaHealth = kafkaHealth;
    this.#groupId = config.api.recoveryGroupId;
    this.#dlqTopic = topicName(TOPICS.webhookDeadLetter, config.kafka.topicPrefix);
  }

  async health(workspaceId: string): Promise<RecoveryHealth> {
    const dlqConsumer = await this.#dlqConsumer();
    const components = (await this.#repo.heartbeats()).map((b) => ({
      ...b,
      healthy:
        b.lastSuccessAt !== null &&
        (b.lastFailureAt === null || b.lastFailureAt <= b.lastSuccessAt),
    }));
    const deadLetters = await this.#repo.deadLettersByStatus(workspaceId);
    const count = (status: string) => deadLetters.get(status) ?? 0;
    const degraded =
      dlqConsumer.lag === null || components.length === 0 || components.some((c) => !c.healthy);
    return {
      status: degraded ? 'degraded' : 'ok',
      dlqConsumer,
      components,
      redrives: {
        waiting: count('waiting'),
        redriven: count('redriven'),
        resolved: count('resolved'),
        dead: count('dead'),
      },
    };
  }

  /** The DLQ consumer group's lag; an unreachable Kafka is reported, not thrown. */
  async #dlqConsumer(): Promise<RecoveryHealth['dlqConsumer']> {
    const consumer = { groupId: this.#groupId, topic: this.#dlqTopic };
    try {
      return {
        ...consumer,
        lag: await this.#kafkaHealth.consumerLag(this.#groupId, this.#dlqTopic),
        error: null,
      };
    } catch (err) {
      return { ...consumer, lag: null, error: err instanceof Error ? err.message : String(err) };
    }
  }
}
