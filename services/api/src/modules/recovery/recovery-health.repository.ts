import type { Db } from '@paysync/db';

/** The last run of one of the recovery service's loops, as its heartbeat row records it. */
export interface Heartbeat {
  readonly component: string;
  readonly lastSuccessAt: Date | null;
  readonly lastFailureAt: Date | null;
  readonly lastError: string | null;
  readonly details: Record<string, unknown>;
}

export interface RecoveryHealthRepositoryDeps {
  readonly prisma: Db;
}

/**
 * Reads what the recovery service records about itself (`recovery_heartbeats`, `dead_letters`;
 * the recovery service owns both and writes them). Neither is a tenant table: dead letters are
 * read with an explicit workspace filter.
 */
export class RecoveryHealthRepository {
  readonly #prisma: Db;

  constructor({ prisma }: RecoveryHealthRepositoryDeps) {
    this.#prisma = prisma;
  }

  /** Every loop's heartbeat, by component name. */
  async heartbeats(): Promise<Heartbeat[]> {
    const beats = await this.#prisma.recoveryHeartbeat.findMany({ orderBy: { component: 'asc' } });
    return beats.map((b) => ({
      component: b.component,
      lastSuccessAt: b.lastSuccessAt,
      lastFailureAt: b.lastFailureAt,
      lastError: b.lastError,
      details: (b.details ?? {}) as Record<string, unknown>,
    }));
  }

  /** The workspace's dead letters counted by re-drive state (`waiting`, `redriven`, …). */
  async deadLettersByStatus(workspaceId: string): Promise<Map<string, number>> {
    const rows = await this.#prisma.$queryRaw<{ status: string; n: number }[]>`
      SELECT status, count(*)::int AS n FROM dead_letters
       WHERE workspace_id = ${workspaceId}::uuid GROUP BY status`;
    return new Map(rows.map((r) => [r.status, r.n]));
  }
}
