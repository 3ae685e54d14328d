// Issue 16, item 1: one oversized message must not wedge webhook processing for everyone.
// Real ingress + processor + Kafka + PostgreSQL. The ingress body cap is raised above what the
// webhook topic takes (the misconfiguration the catalogue's WEBHOOK_MESSAGE_MAX_BYTES guards
// against), so one event reaches the broker over its limit: it is quarantined with its reason,
// while an event just under the documented cap, a burst of large events on one partition and
// another tenant's events are all delivered.
import {
  TOPICS,
  WEBHOOK_BODY_LIMIT_BYTES,
  WEBHOOK_MESSAGE_HEADROOM_BYTES,
} from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, SyncWriteRepository, TenantScope } from '@paysync/db';
import { createKafka, topicName } from '@paysync/kafka';
import { createLogger } from '@paysync/observability';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { EventLogRepository } from '../../services/api/src/modules/events/event-log.repository.js';
import { testConfig as ingressConfig } from '../../services/ingress/src/testing/test-config.js';
import { TEST_ENCRYPTION_KEYS, startPipeline, type Pipeline } from '../support/pipeline.js';
import { postSignedWebhook } from '../support/webhooks.js';

const MIB = 1_048_576;
let p: Pipeline;
let other: { workspaceId: string; url: string; secret: string; accountId: string };

beforeAll(async () => {
  p = await startPipeline({
    env: { INGRESS_BODY_LIMIT_BYTES: String(2 * MIB), INGRESS_OUTBOX_RELAY_INTERVAL_MS: '100' },
  });
  const workspaceId = (await p.prisma.workspace.create({ data: { name: 'other tenant' } })).id;
  const secret = `whsec_${uniqueId('o')}`;
  const connections = new ConnectionRepository({
    prisma: p.prisma,
    keyRing: KeyRing.fromString(TEST_ENCRYPTION_KEYS),
  });
  const connection = await connections.create({
    workspaceId,
    provider: 'stripe',
    mode: 'test',
    apiKey: 'sk_test_other_tenant_0001',
    webhookSecrets: [secret],
    settings: { apiBaseUrl: 'http://127.0.0.1:9' },
  });
  const accountId = `acct_${uniqueId('other').replace(/[^a-zA-Z0-9]/g, '')}`;
  await connections.linkProviderAccount(connection, accountId);
  other = {
    workspaceId,
    url: `${p.ingressUrl}/webhooks/stripe/${connection.id}`,
    secret,
    accountId,
  };
}, 60_000);

afterAll(async () => {
  await p?.close();
});

function customerEvent(
  customerId: string,
  account: string,
  extra: Record<string, unknown> = {},
  created = Math.floor(Date.now() / 1000),
) {
  return {
    id: `evt_${uniqueId('e').replace(/[^a-zA-Z0-9]/g, '')}`,
    object: 'event',
    type: 'customer.updated',
    created,
    livemode: false,
    api_version: '2026-10-28.endive',
    account,
    data: {
      object: { id: customerId, object: 'customer', created, email: null, name: null, ...extra },
    },
  };
}

/** Pads the event's description so the whole body is exactly `bytes` long. */
function ofSize(event: ReturnType<typeof customerEvent>, bytes: number): string {
  const base = JSON.stringify({
    ...event,
    data: { object: { ...event.data.object, description: '' } },
  });
  const body = JSON.stringify({
    ...event,
    data: { object: { ...event.data.object, description: 'x'.repeat(bytes - base.length) } },
  });
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

const post = postSignedWebhook;

const settled = ['processed', 'skipped_duplicate', 'skipped_stale', 'ignored'];

async function eventStatuses(workspaceId: string, ids: readonly string[]) {
  const rows = await p.prisma.paymentSyncEvent.findMany({
    where: { workspaceId, providerEventId: { in: [...ids] } },
    select: { providerEventId: true, status: true },
  });
  return new Map(rows.map((r) => [r.providerEventId, r.status as string]));
}

it('the body cap and the webhook topics’ max.message.bytes are set together', async () => {
  const { INGRESS_BODY_LIMIT_BYTES: _raised, ...defaults } = p.env;
  expect(ingressConfig(defaults).ingress.bodyLimitBytes).toBe(WEBHOOK_BODY_LIMIT_BYTES);
  for (const spec of [
    TOPICS.webhookReceived,
    TOPICS.webhookRetryShort,
    TOPICS.webhookRetryLong,
    TOPICS.webhookDeadLetter,
  ]) {
    expect(spec.maxMessageBytes).toBe(WEBHOOK_BODY_LIMIT_BYTES + WEBHOOK_MESSAGE_HEADROOM_BYTES);
  }
  const kafka = createKafka(
    { brokers: stackEnv().kafkaBrokers, clientId: 'oversized-e2e', connectionTimeoutMs: 5000 },
    createLogger({ level: 'warn', name: 'test' }),
    'admin',
  );
  const admin = kafka.admin();
  await admin.connect();
  try {
    const name = topicName(TOPICS.webhookReceived, p.env.KAFKA_TOPIC_PREFIX!);
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name, configNames: ['max.message.bytes'] }],
    });
    expect(resources[0]!.configEntries[0]!.configValue).toBe(
      String(TOPICS.webhookReceived.maxMessageBytes),
    );
  } finally {
    await admin.disconnect();
  }
});

it('an event over the broker’s limit is quarantined with its reason; the rest keeps flowing', async () => {
  const account = p.sim.accountId;
  // Over the webhook topic's max.message.bytes (1.25 MiB) once wrapped in the envelope.
  const oversized = customerEvent('cus_oversized', account);
  expect(await post(p.webhookUrl, ofSize(oversized, 1.5 * MIB), p.webhookSecret)).toBe(200);

  // Just under the documented cap (the reproduction: 1,048,023 bytes).
  const underCap = customerEvent('cus_under_cap', account, { name: 'Under the cap' });
  // A burst of large events for one customer: one partition, ~2.4 MB together.
  const now = Math.floor(Date.now() / 1000);
  const burst = Array.from({ length: 8 }, (_, i) =>
    customerEvent('cus_large_burst', account, { name: `Burst ${i}` }, now + i),
  );
  // Another tenant's ordinary events.
  const others = Array.from({ length: 100 }, (_, i) =>
    customerEvent(`cus_other_${i}`, other.accountId, { name: `Other ${i}` }),
  );
  const answers = await Promise.all([
    post(p.webhookUrl, ofSize(underCap, WEBHOOK_BODY_LIMIT_BYTES - 553), p.webhookSecret),
    ...burst.map((e) => post(p.webhookUrl, ofSize(e, 300_000), p.webhookSecret)),
    ...others.map((e) => post(other.url, JSON.stringify(e), other.secret)),
  ]);
  expect(answers.every((s) => s === 200)).toBe(true);

  await eventually(
    async () => {
      const mine = await eventStatuses(p.workspaceId, [underCap.id, ...burst.map((e) => e.id)]);
      const theirs = await eventStatuses(
        other.workspaceId,
        others.map((e) => e.id),
      );
      const done = [...mine.values(), ...theirs.values()].filter((s) => settled.includes(s));
      return done.length === 1 + burst.length + others.length || undefined;
    },
    { what: 'every other event applied', timeoutMs: 60_000 },
  );
  const customer = await p.prisma.customer.findFirst({
    where: { workspaceId: p.workspaceId, externalId: 'cus_under_cap' },
  });
  expect(customer?.name).toBe('Under the cap');
  const burstRow = await p.prisma.customer.findFirst({
    where: { workspaceId: p.workspaceId, externalId: 'cus_large_burst' },
  });
  expect(burstRow?.name).toBe('Burst 7');
  expect(
    await p.prisma.customer.count({
      where: { workspaceId: other.workspaceId, externalId: { startsWith: 'cus_other_' } },
    }),
  ).toBe(others.length);

  // The oversized event is dead in the event log with its reason, as /webhooks/failed lists it.
  const eventLog = new EventLogRepository({
    tenantScope: new TenantScope({ prisma: p.prisma }),
    prisma: p.prisma,
    syncWriteRepository: new SyncWriteRepository({ prisma: p.prisma }),
  });
  const failed = await eventually(
    async () => {
      const list = await eventLog.list(p.workspaceId, { statuses: ['failed', 'dead'], limit: 50 });
      return list.find((e) => e.providerEventId === oversized.id);
    },
    { what: 'the oversized event in the failed view', timeoutMs: 30_000 },
  );
  expect(failed).toMatchObject({
    status: 'dead',
    errorClass: 'KAFKA_MESSAGE_REJECTED',
    type: 'customer.updated',
    objectId: 'cus_oversized',
  });
  expect(failed.lastError).toContain('MESSAGE_TOO_LARGE');
  expect(await p.prisma.webhookOutbox.count()).toBe(0);
  expect(
    await p.prisma.customer.count({
      where: { workspaceId: p.workspaceId, externalId: 'cus_oversized' },
    }),
  ).toBe(0);
});
