import { PrismaPg } from '@prisma/adapter-pg';

import { PrismaClient } from './generated/prisma/client.js';

import type { DbSettings } from './db.config.js';

export type Db = PrismaClient;
/** The client handed to `$transaction(async (tx) => …)` callbacks. */
export type Tx = Omit<
  PrismaClient,
  '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'
>;
export type DbOrTx = Db | Tx;

/** Prisma 7 client over node-postgres (no native engine). */
export function createPrismaClient(settings: DbSettings): Db {
  const adapter = new PrismaPg({
    connectionString: settings.url,
    max: settings.poolMax,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: settings.statementTimeoutMs,
  });
  return new PrismaClient({ adapter });
}
