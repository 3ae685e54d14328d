import type { FastifyInstance } from 'fastify';

import { TOPICS } from '@paysync/contracts';
import { SyncedEntityReader } from '@paysync/db';
import { topicName } from '@paysync/kafka';
import { eventually, uniqueId } from '@paysync/testkit';

import {
  aCustomerUpdate,
  aWebhookDeadLetter,
} from '../../services/processor/src/testing/webhooks.js';
import { startPipeline, type Pipeline } from '../support/pipeline.js';
import { startRecovery } from '../support/services.js';

// Dead letters as the processor produces them (envelope + failure headers) on the DLQ topic; the
// recovery service records and classifies them, re-drives retryable ones through the normal
// pipeline, and leaves permanent ones dead.
let p: Pipeline;
let recovery: FastifyInstance;

beforeAll(async () => {
  p = await startPipeline();
  recovery = await startRecovery({
    ...p.env,
    RECOVERY_REDRIVE_BASE_MS: '300',
    RECOVERY_REDRIVE_INTERVAL_MS: '100',
    RECOVERY_REDRIVE_MAX_ATTEMPTS: '3',
  });
}, 60_000);

afterAll(async () => {
  await recovery?.close();
  await p?.close();
});

function deadLetter(customerId: string, name: string, errorCode: string) {
  const webhook = aCustomerUpdate(
    { workspaceId: p.workspaceId, connectionId: p.connection.id },
    customerId,
    name,
    { eventId: `evt_${uniqueId('dl')}` },
  );
  return {
    eventId: webhook.event.id,
    message: aWebhookDeadLetter(webhook, {
      topicPrefix: p.env.KAFKA_TOPIC_PREFIX ?? '',
      originalOffset: '42',
      errorCode,
      errorMessage: `${errorCode} (simulated)`,
    }),
  };
}

it('re-drives a retryable dead letter until it is applied; a permanent one stays dead', async () => {
  const transient = deadLetter(
    'cus_dl_transient',
    'applied after re-drive',
    'PROVIDER_UNAVAILABLE',
  );
  const permanent = deadLetter('cus_dl_permanent', 'never applied', 'VALIDATION_FAILED');
  await p.ingress.diContainer.cradle.kafkaProducer.send(
    topicName(TOPICS.webhookDeadLetter, p.env.KAFKA_TOPIC_PREFIX ?? ''),
    [transient.message, permanent.message],
  );

  const reader = new SyncedEntityReader({ prisma: p.prisma });
  const row = await eventually(
    async () => reader.findByExternalId(p.workspaceId, 'customer', 'stripe', 'cus_dl_transient'),
    { timeoutMs: 30_000, what: 'the re-driven event to be applied' },
  );
  expect(row).toMatchObject({ name: 'applied after re-drive' });
  const resolved = await eventually(
    async () => {
      const d = await p.prisma.deadLetter.findFirst({
        where: { providerEventId: transient.eventId },
      });
      return d?.status === 'resolved' ? d : undefined;
    },
    { timeoutMs: 15_000, what: 'the dead letter to be resolved' },
  );
  expect(resolved).toMatchObject({
    retryable: true,
    redrives: 1,
    errorClass: 'PROVIDER_UNAVAILABLE',
    originalOffset: '42',
    workspaceId: p.workspaceId,
  });
  expect(
    (await p.prisma.paymentSyncEvent.findFirst({ where: { providerEventId: transient.eventId } }))
      ?.status,
  ).toBe('processed');

  const dead = await p.prisma.deadLetter.findFirstOrThrow({
    where: { providerEventId: permanent.eventId },
  });
  expect(dead).toMatchObject({
    status: 'dead',
    retryable: false,
    redrives: 0,
    errorCode: 'VALIDATION_FAILED',
  });
  expect(
    await reader.findByExternalId(p.workspaceId, 'customer', 'stripe', 'cus_dl_permanent'),
  ).toBeUndefined();
}, 90_000);

it('a letter that comes back after its last re-drive stays dead', async () => {
  const letter = deadLetter('cus_dl_flaky', 'x', 'DB_UNAVAILABLE');
  // As recorded after three re-drives (the configured maximum) that all died again.
  await p.prisma.deadLetter.create({
    data: {
      workspaceId: p.workspaceId,
      provider: 'stripe',
      providerEventId: letter.eventId,
      eventType: 'customer.updated',
      errorClass: 'DB_UNAVAILABLE',
      errorCode: 'DB_UNAVAILABLE',
      errorMessage: 'earlier',
      retryable: true,
      status: 'redriven',
      redrives: 3,
      dlqPartition: 0,
      dlqOffset: '0',
    },
  });
  await p.ingress.diContainer.cradle.kafkaProducer.send(
    topicName(TOPICS.webhookDeadLetter, p.env.KAFKA_TOPIC_PREFIX ?? ''),
    [letter.message],
  );
  const dead = await eventually(
    async () => {
      const d = await p.prisma.deadLetter.findFirst({ where: { providerEventId: letter.eventId } });
      return d?.status === 'dead' ? d : undefined;
    },
    { timeoutMs: 15_000, what: 'the letter to stay dead after its last re-drive' },
  );
  expect(dead).toMatchObject({ redrives: 3, retryable: true, nextAttemptAt: null });
});
