import { asClass } from 'awilix';

import { SyncWriteRepository } from '@paysync/db';
import { asWorker, serviceRegistrations, type InfrastructureCradle } from '@paysync/runtime';

import { OutboxRelay } from './modules/outbox/outbox-relay.js';
import { OutboxRepository } from './modules/outbox/outbox.repository.js';
import { ConnectionCache } from './modules/webhooks/connection-cache.js';
import { IngressMetrics } from './modules/webhooks/ingress.metrics.js';
import { WebhookHandoffService } from './modules/webhooks/webhook-handoff.service.js';

import type { Config } from './config.js';

/** The ingress container: the shared infrastructure plus what only ingress has. */
export interface IngressCradle extends InfrastructureCradle<Config> {
  readonly connectionCache: ConnectionCache;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly outboxRepository: OutboxRepository;
  readonly outboxRelay: OutboxRelay;
  readonly ingressMetrics: IngressMetrics;
  readonly webhookHandoffService: WebhookHandoffService;
}

/** The only place the ingress service registers dependencies (STYLE R11). */
export const registerDependencies = serviceRegistrations<Config, IngressCradle>('ingress', () => ({
  connectionCache: asClass(ConnectionCache).singleton(),
  syncWriteRepository: asClass(SyncWriteRepository).singleton(),
  outboxRepository: asClass(OutboxRepository).singleton(),
  ingressMetrics: asClass(IngressMetrics).singleton(),
  // Stops before the producer flushes (producers dispose at DISPOSE_PRIORITY.producers).
  outboxRelay: asClass(OutboxRelay, asWorker()),
  webhookHandoffService: asClass(WebhookHandoffService).singleton(),
}));
