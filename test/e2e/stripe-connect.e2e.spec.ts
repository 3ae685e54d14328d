// Issue 19 item 3 (Stripe Connect): one platform connection receives its connected accounts'
// events at its Connect endpoint (`account` = the connected account), verified with the
// platform's Connect endpoint secret, and the processor writes each event's object into rows
// carrying that account (`provider_account_id`). The Connect endpoint may name the connection in
// its URL, or not: then the ingress finds the platform through the event's `account`, linked to
// the platform when a Connect backfill listed the accounts.
import type { FastifyInstance } from 'fastify';

import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository } from '@paysync/db';
import { StripeSimulator } from '@paysync/simulator';
import { eventually, uniqueId } from '@paysync/testkit';

import {
  TEST_ENCRYPTION_KEYS,
  startProviderPipeline,
  type ProviderPipeline,
} from '../support/pipeline.js';
import { StripeSim } from '../support/providers.js';
import { adminCaller, startApi } from '../support/services.js';

const ADMIN = `admin-${'d'.repeat(40)}`;
let api: FastifyInstance;

let p: ProviderPipeline;
let sim: StripeSimulator;
let accounts: StripeSimulator[];
const connectSecret = `whsec_${uniqueId('connect')}`;

interface Row {
  external_id: string;
  provider_account_id: string | null;
  deleted_at: Date | null;
}

const rowOf = async (id: string) =>
  (
    await p.prisma.$queryRaw<Row[]>`
      SELECT external_id, provider_account_id, deleted_at FROM customers
       WHERE workspace_id = ${p.workspaceId}::uuid AND external_id = ${id}`
  )[0];

beforeAll(async () => {
  // A connected account's ids carry its tag (cus_simc<n>…): unique across accounts, as Stripe's.
  sim = new StripeSimulator({
    seed: { customers: 2 },
    connectedAccounts: [
      { seed: { customers: 10 } },
      { seed: { customers: 20 } },
      { seed: { customers: 30 } },
    ],
  });
  accounts = sim.connectedAccounts();
  p = await startProviderPipeline(new StripeSim(sim));
  // The platform's Connect endpoint, with a signing secret of its own, added to the connection.
  const connections = new ConnectionRepository({
    prisma: p.prisma,
    keyRing: KeyRing.fromString(TEST_ENCRYPTION_KEYS),
  });
  await connections.update(p.workspaceId, p.connection.id, {
    webhookSecrets: [p.webhookSecret, connectSecret],
  });
  sim.addWebhookEndpoint(
    `${p.ingressUrl}/webhooks/stripe/${p.connection.id}`,
    connectSecret,
    ['*'],
    {
      connect: true,
    },
  );
}, 60_000);

afterAll(async () => {
  await api?.close();
  await p?.close();
});

it("each connected account's events land in rows carrying that account", async () => {
  const created = accounts.map((account, i) =>
    account.create('customers', { email: `connected-${i}@example.com` }),
  );
  const ids = created.map((c) => c.id as string);
  expect(new Set(ids).size).toBe(accounts.length);
  const rows = await eventually(
    async () => {
      const found = await Promise.all(ids.map(rowOf));
      return found.every((r) => r !== undefined) ? found : undefined;
    },
    { timeoutMs: 30_000, what: 'the connected accounts’ customers' },
  );
  expect(rows.map((r) => r?.provider_account_id)).toEqual(accounts.map((a) => a.accountId));

  // A later event of one account (a delete) keeps the row in that account.
  const second = accounts[1] as StripeSimulator;
  second.delete('customers', ids[1] as string);
  const deleted = await eventually(
    async () => {
      const r = await rowOf(ids[1] as string);
      return r?.deleted_at ? r : undefined;
    },
    { timeoutMs: 30_000, what: 'the tombstone' },
  );
  expect(deleted.provider_account_id).toBe(second.accountId);

  // Every event was logged through the platform's connection.
  const events = await p.prisma.paymentSyncEvent.findMany({
    where: { workspaceId: p.workspaceId, objectId: { in: ids } },
  });
  expect(events.length).toBeGreaterThanOrEqual(ids.length + 1);
  expect(events.every((e) => e.connectionId === p.connection.id)).toBe(true);
}, 60_000);

it('a Connect endpoint without the connection in its URL reaches the platform through the event’s account', async () => {
  const third = accounts[2] as StripeSimulator;
  third.create('customers', { email: 'routed@example.com' });
  const event = third.events.at(-1) as { id: string; account?: string };
  expect(event.account).toBe(third.accountId);
  const post = () =>
    sim.webhooks.deliver(`${p.ingressUrl}/webhooks/stripe`, connectSecret, JSON.stringify(event));

  // Until the account is linked to a connection, the ingress knows no one to verify it with.
  expect((await post()).status).toBe(404);
  // A Connect backfill links each listed account to the platform (the sync-runner's int test);
  // here the link is written as it writes it.
  await p.prisma.$executeRaw`
    INSERT INTO workspace_provider_accounts (provider, provider_account_id, workspace_id, configuration_id)
    VALUES ('stripe', ${third.accountId}, ${p.workspaceId}::uuid, ${p.connection.id}::uuid)`;
  const accepted = await eventually(
    async () => {
      const answer = await post();
      return answer.status === 200 ? answer : undefined;
    },
    { timeoutMs: 10_000, what: 'the connectionless Connect delivery to be accepted' },
  );
  expect(JSON.parse(accepted.body)).toMatchObject({ received: true, eventId: event.id });
  // Signed with another secret, it is refused: the platform's Connect secret verifies it.
  expect(
    (
      await sim.webhooks.deliver(
        `${p.ingressUrl}/webhooks/stripe`,
        `whsec_${uniqueId('other')}`,
        JSON.stringify(event),
      )
    ).status,
  ).toBe(400);
}, 60_000);

it('a refetch replay of a connected account’s event asks that account (Stripe-Account), never the platform', async () => {
  api = await startApi(p.env, ADMIN);
  const first = accounts[0] as StripeSimulator;
  const created = first.create('customers', { name: 'connected, before' });
  const id = created.id as string;
  const [event] = await eventually(
    async () => {
      const rows = await p.prisma.paymentSyncEvent.findMany({
        where: { workspaceId: p.workspaceId, objectId: id, status: 'processed' },
      });
      return rows.length > 0 ? rows : undefined;
    },
    { timeoutMs: 30_000, what: 'the connected account’s event applied' },
  );
  // The platform has no such customer: asked without the header, it would answer 404.
  expect(sim.getObject('customers', id)).toBeUndefined();
  first.update('customers', id, { name: 'connected, after' }, { silent: true });

  const res = await adminCaller(api, ADMIN, p.workspaceId)('POST', '/webhooks/replay', {
    eventIds: [event!.id],
    mode: 'refetch',
    reason: 'drift',
  });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ matched: 1, replayed: 1 });
  const row = await eventually(
    async () => {
      const rows = await p.prisma.$queryRaw<
        { name: string | null; provider_account_id: string | null; deleted_at: Date | null }[]
      >`SELECT name, provider_account_id, deleted_at FROM customers
         WHERE workspace_id = ${p.workspaceId}::uuid AND external_id = ${id}`;
      return rows[0]?.name === 'connected, after' ? rows[0] : undefined;
    },
    { timeoutMs: 30_000, what: 'the account’s current state applied' },
  );
  expect(row.deleted_at).toBeNull();
  expect(row.provider_account_id).toBe(first.accountId);
}, 90_000);
