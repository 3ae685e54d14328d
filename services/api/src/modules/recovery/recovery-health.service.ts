import { TOPICS } from '@paysync/contracts';
import { topicName, type KafkaHealth } from '@paysync/kafka';

import type { Heartbeat, RecoveryHealthRepository } from './recovery-health.repository.js';

interface RecoveryComponent extends Pick<
  Heartbeat,
  'component' | 'lastSuccessAt' | 'lastFailureAt'
> {
  /** Its last run succeeded. */
  readonly healthy: boolean;
  /** Admin view only: raw errors and what a run did name other tenants' objects. */
  readonly lastError?: string | null;
  readonly details?: Record<string, unknown>;
}

/**
 * `workspace`: what one tenant may see (its own dead letters, whether each loop is healthy);
 * `global`: the admin token's view, adding every loop's last error and details and the DLQ
 * consumer group (issue 15 item 7: those span every tenant).
 */
export type RecoveryHealthView = 'workspace' | 'global';

export interface RecoveryHealth {
  readonly status: 'ok' | 'degraded';
  readonly dlqConsumer?: {
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
 * The recovery service's health for one workspace: the last run of each of its loops, the
 * workspace's dead letters by re-drive state and, in the global (admin) view only, how far its
 * DLQ consumer lags and each loop's last error and details. Degraded when the lag is unknown, no
 * loop has reported yet, or any loop's last run failed (the same verdict in both views).
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

  async health(workspaceId: string, view: RecoveryHealthView): Promise<RecoveryHealth> {
    const dlqConsumer = await this.#dlqConsumer();
    const global = view === 'global';
    const components = (await this.#repo.heartbeats()).map((b) => ({
      component: b.component,
      lastSuccessAt: b.lastSuccessAt,
      lastFailureAt: b.lastFailureAt,
      healthy:
        b.lastSuccessAt !== null &&
        (b.lastFailureAt === null || b.lastFailureAt <= b.lastSuccessAt),
      ...(global && { lastError: b.lastError, details: b.details }),
    }));
    const deadLetters = await this.#repo.deadLettersByStatus(workspaceId);
    const count = (status: string) => deadLetters.get(status) ?? 0;
    const degraded =
      dlqConsumer.lag === null || components.length === 0 || components.some((c) => !c.healthy);
    return {
      status: degraded ? 'degraded' : 'ok',
      ...(global && { dlqConsumer }),
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
  async #dlqConsumer(): Promise<NonNullable<RecoveryHealth['dlqConsumer']>> {
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
