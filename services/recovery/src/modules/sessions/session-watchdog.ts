import { randomUUID } from 'node:crypto';

import { TOPICS, type EntityType, type ProviderName, type SyncCommand } from '@paysync/contracts';
import type { Db } from '@paysync/db';
import { syncCommandMessage, topicName, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import { RETRYABLE_CODES } from '../dead-letters/dead-letter.repository.js';
import type { RecoveryMetrics } from '../heartbeats/recovery.metrics.js';

export interface SessionWatchdogSettings {
  /** A running session without progress for this long is stalled. */
  readonly stalledAfterMs: number;
  /** Automatic resumes per session; past it the session waits for a human. */
  readonly maxAutoResumes: number;
  /** Wait after a transient failure before resuming; doubles per automatic resume. */
  readonly resumeDelayMs: number;
}

interface Candidate {
  id: string;
  workspace_id: string;
  configuration_id: string;
  provider: ProviderName;
  entity_types: string[];
  status: 'running' | 'failed';
  auto_resumes: number;
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
  readonly #prisma: Db;
  readonly #producer: KafkaProducer;
  readonly #topic: string;
  readonly #settings: SessionWatchdogSettings;
  readonly #resumed: RecoveryMetrics['autoResumes'];
  readonly #logger: Logger;

  constructor(deps: {
    prisma: Db;
    kafkaProducer: KafkaProducer;
    topicPrefix: string;
    settings: SessionWatchdogSettings;
    recoveryMetrics: RecoveryMetrics;
    logger: Logger;
  }) {
    this.#prisma = deps.prisma;
    this.#producer = deps.kafkaProducer;
    this.#topic = topicName(TOPICS.syncCommand, deps.topicPrefix);
    this.#settings = deps.settings;
    this.#resumed = deps.recoveryMetrics.autoResumes;
    this.#logger = deps.logger.child({ component: 'SessionWatchdog' });
  }

  /** One pass: returns what it saw and did (the heartbeat's details). */
  async check(): Promise<{ stalled: number; failed: number; resumed: number }> {
    const { stalledAfterMs, maxAutoResumes, resumeDelayMs } = this.#settings;
    if (maxAutoResumes === 0) return { stalled: 0, failed: 0, resumed: 0 };
    const candidates = await this.#prisma.$queryRaw<Candidate[]>`
      SELECT s.id, s.workspace_id, s.configuration_id, s.provider::text AS provider, s.entity_types,
             s.status::text AS status, s.auto_resumes
        FROM payment_sync_sessions s
        JOIN workspace_payment_configurations c ON c.id = s.configuration_id AND c.is_active
       WHERE s.auto_resumes < ${maxAutoResumes}
         AND NOT EXISTS (SELECT 1 FROM payment_sync_sessions ch WHERE ch.parent_session_id = s.id)
         AND ((s.status = 'running' AND GREATEST(
                 (SELECT max(u.updated_at) FROM sync_units u WHERE u.session_id = s.id),
                 s.last_progress_at, s.created_at)
               < now() - (${stalledAfterMs}::int * interval '1 millisecond'))
           OR (s.status = 'failed' AND s.error->>'code' = ANY(${[...RETRYABLE_CODES]}::text[])
               AND GREATEST(s.finished_at, s.last_progress_at) < now() - (${resumeDelayMs}::bigint * power(2, s.auto_resumes)
                   * interval '1 millisecond')))
       ORDER BY s.created_at
       LIMIT 50`;
    let resumed = 0;
    for (const session of candidates) {
      const claimed = await this.#prisma.$executeRaw`
        UPDATE payment_sync_sessions SET auto_resumes = auto_resumes + 1, last_progress_at = now()
         WHERE id = ${session.id}::uuid AND auto_resumes = ${session.auto_resumes}
           AND status = ${session.status}::sync_session_status`;
      if (claimed !== 1) continue;
      const command: SyncCommand = {
        kind: 'resume',
        sessionId: session.id,
        workspaceId: session.workspace_id,
        configurationId: session.configuration_id,
        provider: session.provider,
        entityTypes: session.entity_types as EntityType[],
        requestedBy: 'recovery',
      };
      await this.#producer.send(this.#topic, [
        syncCommandMessage(command, {
          correlationId: randomUUID(),
          idempotencyKey: `resume:${session.id}:auto:${session.auto_resumes + 1}`,
        }),
      ]);
      resumed++;
      this.#resumed.inc({ reason: session.status === 'running' ? 'stalled' : 'failed' });
      this.#logger.warn(
        {
          sessionId: session.id,
          workspaceId: session.workspace_id,
          reason: session.status === 'running' ? 'stalled' : 'transient failure',
          autoResume: session.auto_resumes + 1,
          maxAutoResumes,
        },
        'Sync session resumed automatically',
      );
    }
    return {
      stalled: candidates.filter((c) => c.status === 'running').length,
      failed: candidates.filter((c) => c.status === 'failed').length,
      resumed,
    };
  }
}
