import type { Db } from '@paysync/db';

export interface HeartbeatRepositoryDeps {
  readonly prisma: Db;
}

/**
 * `recovery_heartbeats`: the last successful and failed run of each recovery loop, read by
 * `GET /error-recovery/health` (the api is another process).
 */
export class HeartbeatRepository {
  readonly #prisma: Db;

  constructor({ prisma }: HeartbeatRepositoryDeps) {
    this.#prisma = prisma;
  }

  async success(component: string, details: Record<string, unknown>): Promise<void> {
    await this.#prisma.$executeRaw`
      INSERT INTO recovery_heartbeats (component, last_success_at, details, updated_at)
      VALUES (${component}, now(), ${JSON.stringify(details)}::jsonb, now())
      ON CONFLICT (component) DO UPDATE SET last_success_at = now(),
        details = EXCLUDED.details, updated_at = now()`;
  }

  async failure(component: string, message: string): Promise<void> {
    await this.#prisma.$executeRaw`
      INSERT INTO recovery_heartbeats (component, last_failure_at, last_error, updated_at)
      VALUES (${component}, now(), ${message.slice(0, 2000)}, now())
      ON CONFLICT (component) DO UPDATE SET last_failure_at = now(),
        last_error = EXCLUDED.last_error, updated_at = now()`;
  }
}
