import type { Db } from './client.js';

/** Readiness probe: one round trip to PostgreSQL. */
export class DbHealth {
  readonly #prisma: Db;
  constructor({ prisma }: { prisma: Db }) {
    this.#prisma = prisma;
  }

  async check(): Promise<void> {
    await this.#prisma.$queryRaw`SELECT 1`;
  }
}
