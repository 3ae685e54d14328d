import { asClass } from 'awilix';

import {
  ReconciliationRepository,
  SecretRotationRepository,
  SyncSessionRepository,
  SyncWriteRepository,
  TenantScope,
} from '@paysync/db';
import {
  EncryptionKeyRotation,
  providerRegistrations,
  serviceRegistrations,
  type InfrastructureCradle,
  type ProviderCradle,
} from '@paysync/runtime';

import { AuditRepository } from './modules/audit/audit.repository.js';
import { AuthFailureLimiter } from './modules/auth/auth-failure-limiter.js';
import { AuthService } from './modules/auth/auth.service.js';
import { ConnectionService } from './modules/connections/connection.service.js';
import { SyncedDataRepository } from './modules/data/synced-data.repository.js';
import { EventLogRepository } from './modules/events/event-log.repository.js';
import { ReplayService } from './modules/events/replay.service.js';
import { RecoveryHealthRepository } from './modules/recovery/recovery-health.repository.js';
import { RecoveryHealthService } from './modules/recovery/recovery-health.service.js';
import { SyncControlService } from './modules/sync/sync-control.service.js';
import { WorkspaceRepository } from './modules/workspaces/workspace.repository.js';

import type { Config } from './config.js';

/** The api container: the shared infrastructure and provider clients plus the api's own. */
export interface ApiCradle extends InfrastructureCradle<Config>, ProviderCradle {
  readonly tenantScope: TenantScope;
  readonly workspaceRepository: WorkspaceRepository;
  readonly auditRepository: AuditRepository;
  readonly authService: AuthService;
  readonly authFailureLimiter: AuthFailureLimiter;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly reconciliationRepository: ReconciliationRepository;
  readonly connectionService: ConnectionService;
  readonly syncControlService: SyncControlService;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly eventLogRepository: EventLogRepository;
  readonly replayService: ReplayService;
  readonly syncedDataRepository: SyncedDataRepository;
  readonly recoveryHealthRepository: RecoveryHealthRepository;
  readonly recoveryHealthService: RecoveryHealthService;
  /** `POST /admin/encryption/rotate` (issue 15 item 8). */
  readonly secretRotationRepository: SecretRotationRepository;
  readonly encryptionKeyRotation: EncryptionKeyRotation;
}

/** The only place the api service registers dependencies (STYLE R11). */
export const registerDependencies = serviceRegistrations<Config, ApiCradle>(
  'api',
  ({ config }) => ({
    // Someone waits on these calls: few attempts, bounded time (the sync-runner retries more).
    ...providerRegistrations({
      ...config.provider,
      maxAttempts: config.api.providerMaxAttempts,
      timeoutMs: config.api.providerTimeoutMs,
    }),
    tenantScope: asClass(TenantScope).singleton(),
    workspaceRepository: asClass(WorkspaceRepository).singleton(),
    auditRepository: asClass(AuditRepository).singleton(),
    authService: asClass(AuthService).singleton(),
    authFailureLimiter: asClass(AuthFailureLimiter).singleton(),
    syncSessionRepository: asClass(SyncSessionRepository).singleton(),
    reconciliationRepository: asClass(ReconciliationRepository).singleton(),
    connectionService: asClass(ConnectionService).singleton(),
    syncControlService: asClass(SyncControlService).singleton(),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    eventLogRepository: asClass(EventLogRepository).singleton(),
    replayService: asClass(ReplayService).singleton(),
    syncedDataRepository: asClass(SyncedDataRepository).singleton(),
    recoveryHealthRepository: asClass(RecoveryHealthRepository).singleton(),
    recoveryHealthService: asClass(RecoveryHealthService).singleton(),
    secretRotationRepository: asClass(SecretRotationRepository).singleton(),
    encryptionKeyRotation: asClass(EncryptionKeyRotation).singleton(),
  }),
);
