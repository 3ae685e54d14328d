export { createPrismaClient } from './client.js';
export type { Db, DbOrTx, Tx } from './client.js';
export { dbConfigSchema } from './db.config.js';
export type { DbSettings } from './db.config.js';
export { isTransientDbError, mapDbError } from './errors.js';
export { DbHealth } from './health.js';
export { applyMigrations, readMigrations } from './migrate.js';
export type { MigrateResult, MigrationFile } from './migrate.js';
