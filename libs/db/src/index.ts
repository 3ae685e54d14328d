export { createPrismaClient } from './client.js';
export type { Db, DbOrTx, Tx } from './client.js';
export { dbConfigSchema } from './db.config.js';
export type { DbSettings } from './db.config.js';
export { isTransientDbError, mapDbError } from './errors.js';
export { DbHealth } from './health.js';
export { isUuid } from './ids.js';
export { createdBefore } from './repositories/keyset.js';
export type { CreatedKey } from './repositories/keyset.js';
export { MIGRATION_LOCK_KEY, applyMigrations, migrationStatus, readMigrations } from './migrate.js';
export type { MigrateResult, MigrationFile, MigrationStatus } from './migrate.js';
export { ENTITY_TABLES, SYNC_COLUMNS } from './repositories/entity-tables.js';
export type { CanonicalColumn, EntityTable } from './repositories/entity-tables.js';
export { SyncWriteRepository } from './repositories/sync-write.repository.js';
export type {
  SyncWriteRepositoryDeps,
  ApplyResult,
  ChangeOutcome,
  EventOutcome,
  EventFailure,
  EventRecord,
  EventStatus,
  RejectedEvent,
} from './repositories/sync-write.repository.js';
export { SyncedEntityReader } from './repositories/synced-entity.reader.js';
export type { SyncedEntityReaderDeps, SyncedRow } from './repositories/synced-entity.reader.js';
export { TenantScope } from './repositories/tenant-scope.js';
export type { TenantScopeDeps } from './repositories/tenant-scope.js';
export { ConnectionRepository } from './repositories/connection.repository.js';
export type {
  ConnectionRepositoryDeps,
  ConnectionView,
  CreateConnectionInput,
  DecryptedConnection,
  UpdateConnectionInput,
} from './repositories/connection.repository.js';
export { SyncSessionRepository } from './repositories/sync-session.repository.js';
export type {
  AutoResumeCandidate,
  AutoResumePolicy,
  CreateSessionInput,
  SessionListFilter,
  SessionToPlan,
  SyncSessionRepositoryDeps,
  SyncSessionView,
} from './repositories/sync-session.repository.js';
export {
  ACTIVE_SESSION_STATUSES,
  INITIAL_SESSION_STATUS,
  IllegalSessionTransitionError,
  SYNC_SESSION_EVENTS,
  SYNC_SESSION_STATUSES,
  canTransition,
  isFinal,
  nextStatus,
  sourcesOf,
  targetOf,
} from './repositories/sync-session.machine.js';
export type { SyncSessionEvent, SyncSessionStatus } from './repositories/sync-session.machine.js';
export { PgRateLimiter, ProviderRateLimitRepository } from './repositories/pg-rate-limiter.js';
export type {
  PgRateLimiterDeps,
  ProviderRateLimiter,
  ProviderRateLimitRepositoryDeps,
  RateLimiterFactory,
} from './repositories/pg-rate-limiter.js';
export { ReconciliationRepository } from './repositories/reconciliation.repository.js';
export type {
  ClaimedReconciliation,
  EntityDrift,
  ReconciliationRepositoryDeps,
  ReconciliationStatus,
  ReconciliationView,
} from './repositories/reconciliation.repository.js';
export { SecretRotationRepository } from './repositories/secret-rotation.repository.js';
export type {
  EncryptedConnection,
  EncryptedValue,
  RewrittenSecrets,
  RotationAuditEntry,
  SecretRotationRepositoryDeps,
} from './repositories/secret-rotation.repository.js';
export { DriftRepository } from './repositories/drift.repository.js';
export type { DriftKind, DriftRepositoryDeps } from './repositories/drift.repository.js';
export {
  SYSTEM_ROLE,
  actForTenantInTransaction,
  currentDbScope,
  runWithScope,
  withSystem,
  withTenant,
  withoutScope,
} from './scope/db-scope.js';
export type { DbScope } from './scope/db-scope.js';
