// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import {
  asClass,
  asFunction,
  asValue,
  type AwilixContainer,
  type NameAndRegistrationPair,
} from 'awilix';

import {
  ConnectionRepository,
  ReconciliationRepository,
  SyncSessionRepository,
  TenantScope,
} from '@paysync/db';
import type { Logger } from '@paysync/observability';
import { createConnectionProvider } from '@paysync/providers';
import { infrastructureRegistrations, type InfrastructureCradle } from '@paysync/runtime';

import { AuditRepository } from './modules/audit/audit.repository.js';
import { AuthService } from './modules/auth/auth.service.js';
import {
  ConnectionService,
  type ProviderFactory,
} from './modules/connections/connection.service.js';
import { SyncedDataRepository } from './modules/data/synced-data.repository.js';
import { EventLogRepository } from './modules/events/event-log.repository.js';
import { ReplayService } from './modules/events/replay.service.js';
import { SyncControlService } from './modules/sync/sync-control.service.js';
import { WorkspaceRepository } from './modules/workspaces/workspace.repository.js';

import type { Config } from './config.js';

export interface ApiCradle extends InfrastructureCradle {
  readonly config: Config;
  readonly tenantScope: TenantScope;
  readonly workspaceRepository: WorkspaceRepository;
  readonly auditRepository: AuditRepository;
  readonly authService: AuthService;
  readonly connectionRepository: ConnectionRepository;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly reconciliationRepository: ReconciliationRepository;
  readonly providerFactory: ProviderFactory;
  readonly connectionService: ConnectionService;
  readonly syncControlService: SyncControlService;
  readonly eventLogRepository: EventLogRepository;
  readonly replayService: ReplayService;
  readonly syncedDataRepository: SyncedDataRepository;
}

declare module '@fastify/awilix' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Cradle extends ApiCradle {}
}

export type DependencyOverrides = Partial<NameAndRegistrationPair<ApiCradle>>;

/** The only place the api service registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<ApiCradle>,
  { config, logger }: { config: Config; logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    ...infrastructureRegistrations('api', config),
    tenantScope: asClass(TenantScope).singleton(),
    workspaceRepository: asClass(WorkspaceRepository).singleton(),
    auditRepository: asClass(AuditRepository).singleton(),
    authService: asFunction(
      ({ workspaceRepository }: ApiCradle) =>
        new AuthService({ workspaceRepository, adminToken: config.api.adminToken }),
    ).singleton(),
    connectionRepository: asFunction(
      ({ prisma }: ApiCradle) =>
        new ConnectionRepository({ prisma, keyRing: config.crypto.keyRing }),
    ).singleton(),
    syncSessionRepository: asClass(SyncSessionRepository).singleton(),
    reconciliationRepository: asClass(ReconciliationRepository).singleton(),
    providerFactory: asValue<ProviderFactory>((connection) =>
      createConnectionProvider(connection, {
        defaultApiBaseUrl: config.provider.stripeApiBaseUrl,
        // Someone waits on these calls: few attempts, bounded time (the sync-runner retries more).
        maxAttempts: config.api.providerMaxAttempts,
        timeoutMs: config.api.providerTimeoutMs,
        webhookToleranceSeconds: config.provider.webhookToleranceSeconds,
      }),
    ),
    connectionService: asFunction(
      ({ connectionRepository, syncSessionRepository, providerFactory }: ApiCradle) =>
        new ConnectionService({
          connectionRepository,
          syncSessionRepository,
          providerFactory,
          allowedProviderBaseUrls: config.api.allowedProviderBaseUrls,
          logger,
        }),
    ).singleton(),
    syncControlService: asFunction(
      ({
        syncSessionRepository,
        reconciliationRepository,
        connectionRepository,
        kafkaProducer,
      }: ApiCradle) =>
        new SyncControlService({
          syncSessionRepository,
          reconciliationRepository,
          connectionRepository,
          kafkaProducer,
          topicPrefix: config.kafka.topicPrefix,
          logger,
        }),
    ).singleton(),
    eventLogRepository: asClass(EventLogRepository).singleton(),
    replayService: asFunction(
      ({ prisma, connectionRepository, kafkaProducer, providerFactory }: ApiCradle) =>
        new ReplayService({
          prisma,
          connectionRepository,
          providerFactory,
          kafkaProducer,
          topicPrefix: config.kafka.topicPrefix,
          logger,
        }),
    ).singleton(),
    syncedDataRepository: asClass(SyncedDataRepository).singleton(),
    ...overrides,
  });
}
