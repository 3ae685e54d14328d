import { randomUUID } from 'node:crypto';

import { TOPICS, type SyncCommand } from '@paysync/contracts';
import {
  withSystem,
  type AutoResumeCandidate,
  type AutoResumePolicy,
  type SyncSessionRepository,
} from '@paysync/db';
import { syncCommandMessage, topicName, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import { RETRYABLE_CODES } from '../dead-letters/dead-letter.repository.js';
import type { RecoveryMetrics } from '../heartbeats/recovery.metrics.js';

export interface SessionWatchdogDeps {
  readonly syncSessionRepository: SyncSessionRepository;
  readonly kafkaProducer: KafkaProducer;
  readonly recoveryMetrics: RecoveryMetrics;
  readonly logger: Logger;
  readonly config: {
    readonly kafka: { readonly topicPrefix: string };
    readonly recovery: {
      /** A running session without progress for this long is stalled. */
      readonly sessionStalledAfterMs: number;
      /** Automatic resumes per session; past it the session waits for a human. */
      readonly sessionAutoResumeMax: number;
      /** Wait after a transient failure before resuming; doubles per automatic resume. */
      readonly sessionResumeDelayMs: number;
    };
  };
}

/**
 * Finds sync sessions that need help and resumes them, capped per session:
 * - running sessions without progress for `stalledAfterMs` (every replica died, a lease is
 *   stuck): the resume command makes a sync-runner take over their expired units;
 * - failed sessions whose error is transient (provider, database or Kafka unavailable), after a
 *   backoff from the failure (or the last automatic resume) that doubles per automatic resume.
 * A permanent failure (revoked key, bad request), a cancelled session (a human's decision), a
 * restarted one (it has a child) and a deactivated connection are left alone. Each resume is
 * counted on the session first (`auto_resumes`, compare-and-set), so two recovery replicas never
 * resume the same session twice for one stall.
 */
export class SessionWatchdog {
  readonly #sessions: SyncSessionRepository;
  readonly #producer: KafkaProducer;
  readonly #topic: string;
  readonly #policy: AutoResumePolicy;
  readonly #resumed: RecoveryMetrics['autoResumes'];
  readonly #logger: Logger;

  constructor({
    syncSessionRepository,
    kafkaProducer,
    recoveryMetrics,
    logger,
    config,
  }: SessionWatchdogDeps) {
    this.#sessions = syncSessionRepository;
    this.#producer = kafkaProducer;
    this.#topic = topicName(TOPICS.syncCommand, config.kafka.topicPrefix);
    this.#policy = {
      stalledAfterMs: config.recovery.sessionStalledAfterMs,
      maxAutoResumes: config.recovery.sessionAutoResumeMax,
      resumeDelayMs: config.recovery.sessionResumeDelayMs,
      retryableCodes: [...RETRYABLE_CODES],
    };
    this.#resumed = recoveryMetrics.autoResumes;
    this.#logger = logger.child({ component: 'SessionWatchdog' });
  }

  /**
   * One pass: returns what it saw and did (the heartbeat's details). Sessions of every workspace:
   * system work (row-level security; paysync_system may read and update session bookkeeping).
   */
  check(): Promise<{ stalled: number; failed: number; resumed: number }> {
    return withSystem('session watchdog', () => this.#check());
  }

  async #check(): Promise<{ stalled: number; failed: number; resumed: number }> {
    if (this.#policy.maxAutoResumes === 0) return { stalled: 0, failed: 0, resumed: 0 };
    const candidates = await this.#sessions.autoResumeCandidates(this.#policy);
    let resumed = 0;
    for (const session of candidates) {
      if (!(await this.#sessions.claimAutoResume(session))) continue;
      await this.#sendResume(session);
      resumed++;
    }
    return {
      stalled: candidates.filter((c) => c.status === 'running').length,
      failed: candidates.filter((c) => c.status === 'failed').length,
      resumed,
    };
  }

  async #sendResume(session: AutoResumeCandidate): Promise<void> {
    const autoResume = session.autoResumes + 1;
    const command: SyncCommand = {
      kind: 'resume',
      sessionId: session.id,
      workspaceId: session.workspaceId,
      configurationId: session.configurationId,
      provider: session.provider,
      entityTypes: [...session.entityTypes],
      requestedBy: 'recovery',
    };
    await this.#producer.send(this.#topic, [
      syncCommandMessage(command, {
        correlationId: randomUUID(),
        idempotencyKey: `resume:${session.id}:auto:${autoResume}`,
      }),
    ]);
    this.#resumed.inc({ reason: session.status === 'running' ? 'stalled' : 'failed' });
    this.#logger.warn(
      {
        sessionId: session.id,
        workspaceId: session.workspaceId,
        reason: session.status === 'running' ? 'stalled' : 'transient failure',
        autoResume,
        maxAutoResumes: this.#policy.maxAutoResumes,
      },
      'Sync session resumed automatically',
    );
  }
}
