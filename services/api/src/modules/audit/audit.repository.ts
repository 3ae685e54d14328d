import { withSystem, withTenant, type Db, type DbOrTx } from '@paysync/db';

export interface AuditEntry {
  readonly workspaceId: string | null;
  readonly actor: string;
  readonly action: string;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly statusCode: number;
  readonly requestId: string;
  /** Non-secret facts only (which fields changed, counts, reasons). */
  readonly details: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  readonly id: string;
  readonly createdAt: Date;
}

export interface AuditRepositoryDeps {
  readonly prisma: Db;
}

/** The audit trail of the management API (`audit_log`). */
export class AuditRepository {
  readonly #prisma: Db;

  constructor({ prisma }: AuditRepositoryDeps) {
    this.#prisma = prisma;
  }

  /**
   * Writes on behalf of the entry's workspace (row-level security: also when the request was
   * refused before its tenant was set, e.g. a 404 for another workspace's route), as system work
   * for an entry without one; inside `tx`, in that transaction's scope.
   */
  async record(entry: AuditEntry, tx?: DbOrTx): Promise<void> {
    // createMany: no RETURNING, which the system role could not read (it may only insert).
    const write = (db: DbOrTx) =>
      db.auditLog.createMany({ data: [{ ...entry, details: entry.details as object }] });
    if (tx) await write(tx);
    else if (entry.workspaceId) await withTenant(entry.workspaceId, () => write(this.#prisma));
    else await withSystem('audit entry without a workspace', () => write(this.#prisma));
  }

  /** Newest first, keyset-paged by id. */
  async list(
    workspaceId: string,
    opts: { beforeId?: bigint; limit: number },
  ): Promise<AuditRecord[]> {
    const rows = await this.#prisma.auditLog.findMany({
      where: { workspaceId, ...(opts.beforeId !== undefined && { id: { lt: opts.beforeId } }) },
      orderBy: { id: 'desc' },
      take: opts.limit,
    });
    return rows.map((r) => ({
      id: r.id.toString(),
      workspaceId: r.workspaceId,
      actor: r.actor,
      action: r.action,
      resourceType: r.resourceType,
      resourceId: r.resourceId,
      statusCode: r.statusCode,
      requestId: r.requestId,
      details: (r.details ?? {}) as Record<string, unknown>,
      createdAt: r.createdAt,
    }));
  }
}
