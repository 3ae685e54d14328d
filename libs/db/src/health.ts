import type { Db } from './client.js';

export interface DbHealthDeps {
  readonly prisma: Db;
}

/** Readiness probe: one round trip to PostgreSQL. */
export class DbHealth {
  readonly #prisma: Db;
  constructor({ prisma }: DbHealthDeps) {
    this.#prisma = prisma;
  }

  async check(): Promise<void> {
    await this.#prisma.$queryRaw`SELECT 1`;
  }
}
