import { SyncedEntityReader } from '@paysync/db';
import { StripeSimulator } from '@paysync/simulator';

import { BackfillHarness, type SyncRunnerApp } from '../../testing/backfill-harness.js';

// Issue 16 item 6: one provider object PostgreSQL cannot store never fails a backfill. Text it
// cannot hold (NUL, lone surrogates) is stored per the write path's policy (storable-text.ts);
// a record it still refuses is left out, counted and listed in the session's progress.

const CUSTOMERS = 100;

let h: BackfillHarness;
let sim: StripeSimulator;
let simUrl: string;
let runner: SyncRunnerApp;
let reader: SyncedEntityReader;

beforeAll(async () => {
  h = await BackfillHarness.open();
  sim = new StripeSimulator({ seed: { customers: CUSTOMERS } });
  simUrl = await sim.start();
  reader = new SyncedEntityReader({ prisma: h.prisma });
  runner = await h.startRunner('bad-records', simUrl, {
    SYNC_POLL_INTERVAL_MS: '100',
    // One page of 100: the bad record shares its page with 99 good ones.
    SYNC_SEGMENTS_PER_ENTITY: '1',
    SYNC_PAGE_SIZE: '100',
  });
}, 60_000);

afterAll(() => h?.close(runner, sim));

async function syncCustomers(name: string) {
  const c = await h.tenant(name, { apiBaseUrl: simUrl });
  const workspaceId = c.workspaceId;
  const session = await h.startSession(c);
  runner.diContainer.cradle.syncWorkerPool.poke();
  const done = await h.finished(session.id, { what: 'the session to finish' });
  return { workspaceId, done, view: await h.sessions.get(workspaceId, session.id) };
}

it('a page with one NUL / lone-surrogate record among 99 good ones lands 100 rows; the original is recoverable', async () => {
  const id = 'cus_sim0000000042';
  const original = sim.update(
    'customers',
    id,
    { name: 'Nul\u0000 Name', description: 'broken \ud83d pair', metadata: { note: 'x\u0000' } },
    { silent: true },
  );
  try {
    const { workspaceId, done, view } = await syncCustomers('nul-record');
    expect(done.status).toBe('completed');
    expect(done.error).toBeNull();
    expect(await reader.count(workspaceId, 'customer')).toBe(CUSTOMERS);
    expect(view.progress.customer).toMatchObject({ fetched: 100, written: 100, failed: 0 });
    const row = await reader.findByExternalId(workspaceId, 'customer', 'stripe', id);
    expect(row).toMatchObject({
      name: 'Nul Name',
      description: 'broken \ufffd pair',
      metadata: { note: 'x' },
    });
    // The object exactly as the provider sent it.
    expect(JSON.parse(row?.raw_original as string)).toMatchObject({
      id,
      name: 'Nul\u0000 Name',
      description: 'broken \ud83d pair',
      metadata: { note: 'x\u0000' },
    });
    expect(JSON.parse(row?.raw_original as string)).toEqual(original);
  } finally {
    sim.update(
      'customers',
      id,
      { name: 'Fixed', description: null, metadata: { note: '' } },
      {
        silent: true,
      },
    );
  }
}, 90_000);

it('a record PostgreSQL refuses even so is left out and listed in progress; the session completes', async () => {
  // A currency code too long for its char(3) column: no text policy can store it.
  const id = 'cus_sim0000000007';
  sim.update('customers', id, { currency: 'dollars' }, { silent: true });
  try {
    const { workspaceId, done, view } = await syncCustomers('refused-record');
    expect(done.status).toBe('completed');
    expect(done.error).toBeNull();
    expect(await reader.count(workspaceId, 'customer')).toBe(CUSTOMERS - 1);
    expect(await reader.findByExternalId(workspaceId, 'customer', 'stripe', id)).toBeUndefined();
    expect(view.progress.customer).toMatchObject({
      fetched: 100,
      written: 99,
      failed: 1,
      failedRecords: [{ id, reason: expect.stringMatching(/^22001: .*character\(3\)/) }],
    });
    const { values } = await runner.diContainer.cradle.syncMetrics.failedRecords.get();
    expect(values.find((v) => v.labels.entity_type === 'customer')?.value).toBe(1);
  } finally {
    sim.update('customers', id, { currency: 'usd' }, { silent: true });
  }
}, 90_000);
