import {
  DriftRepository,
  SyncWriteRepository,
  SyncedEntityReader,
  TenantScope,
  type Db,
} from '../index.js';
import {
  aCustomerChange,
  aCustomerData,
  aProductChange,
  anEvent,
  createTestPrisma,
  type TestPrisma,
} from '../testing/index.js';

const V1 = Date.UTC(2026, 10, 1, 12, 0, 0);
const V2 = V1 + 1000;
const V3 = V1 + 2000;

let t: TestPrisma;
let prisma: Db;
let repo: SyncWriteRepository;
let reader: SyncedEntityReader;
let wsA: string;
let wsB: string;

beforeAll(async () => {
  t = await createTestPrisma({ poolMax: 8, statementTimeoutMs: 30_000 });
  prisma = t.prisma;
  repo = new SyncWriteRepository({ prisma });
  reader = new SyncedEntityReader({ prisma });
  wsA = (await prisma.workspace.create({ data: { name: 'A' } })).id;
  wsB = (await prisma.workspace.create({ data: { name: 'B' } })).id;
});

afterAll(() => t.close());

async function customer(workspaceId: string, externalId: string) {
  return reader.findByExternalId(workspaceId, 'customer', 'stripe', externalId);
}

/** A customer change (workspace A unless said) whose data carries `name`. */
function named(externalId: string, version: number, name: string, workspaceId = wsA) {
  return aCustomerChange({ workspaceId, externalId, version, data: aCustomerData({ name }) });
}

/** A provider event of workspace A about customer `externalId`, and its change (version V1). */
function customerEvent(externalId: string) {
  const event = anEvent({ workspaceId: wsA, objectId: externalId });
  const change = aCustomerChange({
    workspaceId: wsA,
    externalId,
    version: V1,
    eventId: event.providerEventId,
  });
  return { event, change };
}

/** A bare delete (no data) of a customer (workspace A unless said). */
function tombstone(externalId: string, version: number, workspaceId = wsA) {
  return aCustomerChange({ workspaceId, externalId, version, deleted: true, data: null });
}

describe('newer wins', () => {
  it.each([
    { order: 'old → new', id: 'cus_order_1', first: V1, second: V2, secondOutcome: 'applied' },
    { order: 'new → old', id: 'cus_order_2', first: V2, second: V1, secondOutcome: 'stale' },
  ])('in arrival order $order', async ({ id, first, second, secondOutcome }) => {
    const state = (version: number) => named(id, version, version === V2 ? 'new' : 'old');
    expect((await repo.applyChanges([state(first)])).outcomes).toEqual(['applied']);
    expect((await repo.applyChanges([state(second)])).outcomes).toEqual([secondOutcome]);
    const row = await customer(wsA, id);
    expect(row?.name).toBe('new');
    expect(Number(row?.source_version)).toBe(V2);
  });

  it('within one batch, whatever the order', async () => {
    const id = 'cus_order_3';
    const states = [V2, V3, V1].map((version) => named(id, version, `v${version}`));
    expect((await repo.applyChanges(states)).outcomes).toEqual(['stale', 'applied', 'stale']);
    expect((await customer(wsA, id))?.name).toBe(`v${V3}`);
  });
});

describe('deletes stick', () => {
  it('a stale update after a delete does not resurrect the row', async () => {
    const id = 'cus_del_1';
    await repo.applyChanges([aCustomerChange({ workspaceId: wsA, externalId: id, version: V1 })]);
    const del = tombstone(id, V2);
    expect((await repo.applyChanges([del])).outcomes).toEqual(['applied']);
    const late = named(id, V1, 'late');
    expect((await repo.applyChanges([late])).outcomes).toEqual(['stale']);
    // An update at the delete's own version loses too: deletes win ties.
    const same = named(id, V2, 'same');
    expect((await repo.applyChanges([same])).outcomes).toEqual(['stale']);
    const row = await customer(wsA, id);
    expect(row?.deleted_at).toEqual(new Date(V2));
    expect(row?.name).toBe('Jenny Rosen'); // a bare tombstone keeps the last known fields
  });

  it('a delete that arrives first leaves a tombstone that older creates cannot undo', async () => {
    const id = 'cus_del_2';
    const del = aCustomerChange({ workspaceId: wsA, externalId: id, version: V2, deleted: true });
    expect((await repo.applyChanges([del])).outcomes).toEqual(['applied']);
    const create = aCustomerChange({ workspaceId: wsA, externalId: id, version: V1 });
    expect((await repo.applyChanges([create])).outcomes).toEqual(['stale']);
    expect((await customer(wsA, id))?.deleted_at).not.toBeNull();
  });

  it('a strictly newer update may bring a deleted object back (providers that restore)', async () => {
    const id = 'cus_del_3';
    await repo.applyChanges([tombstone(id, V1)]);
    expect(
      (
        await repo.applyChanges([
          aCustomerChange({ workspaceId: wsA, externalId: id, version: V3 }),
        ])
      ).outcomes,
    ).toEqual(['applied']);
    expect((await customer(wsA, id))?.deleted_at).toBeNull();
  });
});

describe('ties (equal versions)', () => {
  it('same content is unchanged; different content is reported as a tie and not written', async () => {
    const id = 'cus_tie_1';
    const first = named(id, V1, 'first');
    await repo.applyChanges([first]);
    expect((await repo.applyChanges([first])).outcomes).toEqual(['unchanged']);
    const other = named(id, V1, 'other');
    expect((await repo.applyChanges([other])).outcomes).toEqual(['tie']);
    expect((await customer(wsA, id))?.name).toBe('first');
    // The caller resolves the tie by re-fetching: the fetched state carries the fetch time.
    const refetched = named(id, V2, 'other');
    expect((await repo.applyChanges([refetched])).outcomes).toEqual(['applied']);
    expect((await customer(wsA, id))?.name).toBe('other');
  });

  it('an authoritative re-fetch wins at an equal version; a later delete in that second still wins', async () => {
    const id = 'cus_tie_auth';
    await repo.applyChanges([named(id, V1, 'a')]);
    const fetched = named(id, V1, 'fetched');
    expect((await repo.applyChanges([fetched])).outcomes).toEqual(['tie']);
    expect((await repo.applyChanges([fetched], { authoritative: true })).outcomes).toEqual([
      'applied',
    ]);
    expect((await customer(wsA, id))?.name).toBe('fetched');
    const del = tombstone(id, V1);
    expect((await repo.applyChanges([del])).outcomes).toEqual(['applied']);
    // An older state is refused even when authoritative.
    const older = aCustomerChange({ workspaceId: wsA, externalId: id, version: V1 - 1000 });
    expect((await repo.applyChanges([older], { authoritative: true })).outcomes).toEqual(['stale']);
  });

  it('leaves a tied event open (received) so the re-fetch can complete it under the same id', async () => {
    const id = 'cus_tie_2';
    await repo.applyChanges([aCustomerChange({ workspaceId: wsA, externalId: id, version: V1 })]);
    const event = anEvent({ workspaceId: wsA, objectId: id });
    const tied = aCustomerChange({
      workspaceId: wsA,
      externalId: id,
      version: V1,
      eventId: event.providerEventId,
      data: aCustomerData({ name: 'tied' }),
    });
    const first = await repo.applyChanges([tied], { events: [event] });
    expect(first.outcomes).toEqual(['tie']);
    expect(first.events[0]?.status).toBe('received');
    const resolved = await repo.applyChanges([{ ...tied, version: V2 }], { events: [event] });
    expect(resolved.outcomes).toEqual(['applied']);
    expect(resolved.events[0]?.status).toBe('processed');
    const stored = await prisma.paymentSyncEvent.findFirstOrThrow({
      where: { providerEventId: event.providerEventId },
    });
    expect(stored.attempts).toBe(2);
  });
});

describe('idempotent events', () => {
  it('a second apply of the same provider event is a no-op reported as duplicate', async () => {
    const { event, change } = customerEvent('cus_dup_1');
    const first = await repo.applyChanges([change], { events: [event] });
    expect(first.outcomes).toEqual(['applied']);
    expect(first.events).toEqual([expect.objectContaining({ status: 'processed' })]);

    // Even a different payload under the same event id changes nothing.
    const replay = { ...change, version: V3, data: aCustomerData({ name: 'changed' }) };
    const second = await repo.applyChanges([replay], { events: [event] });
    expect(second.outcomes).toEqual(['duplicate']);
    expect(second.events).toEqual([expect.objectContaining({ status: 'duplicate' })]);
    expect((await customer(wsA, 'cus_dup_1'))?.name).toBe('Jenny Rosen');
    expect(
      await prisma.paymentSyncEvent.count({ where: { providerEventId: event.providerEventId } }),
    ).toBe(1);
  });

  it('concurrent applies of one event have one effect', async () => {
    const { event, change } = customerEvent('cus_dup_2');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => repo.applyChanges([change], { events: [event] })),
    );
    const outcomes = results.map((r) => r.outcomes[0]).sort();
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    const stored = await prisma.paymentSyncEvent.findFirstOrThrow({
      where: { providerEventId: event.providerEventId },
    });
    expect(stored.status).toBe('processed');
  });

  it('records an event without changes as ignored', async () => {
    const event = anEvent({ workspaceId: wsA, eventType: 'radar.early_fraud_warning.created' });
    const result = await repo.applyChanges([], { events: [event] });
    expect(result.events[0]?.status).toBe('ignored');
  });
});

describe('a mixed batch across two workspaces', () => {
  it('returns the right outcome per change and keeps each workspace to itself', async () => {
    const ext = 'cus_shared_id';
    // Both workspaces have an object with the same provider id.
    await repo.applyChanges([
      named(ext, V2, 'A2'),
      named(ext, V1, 'B1', wsB),
      aCustomerChange({ workspaceId: wsA, externalId: 'cus_mixed_del', version: V1 }),
    ]);
    const dupEvent = anEvent({ workspaceId: wsB });
    await repo.applyChanges(
      [
        aCustomerChange({
          workspaceId: wsB,
          externalId: 'cus_mixed_dup',
          version: V1,
          eventId: dupEvent.providerEventId,
        }),
      ],
      { events: [dupEvent] },
    );

    const batch = [
      named(ext, V1, 'A1-stale'),
      named(ext, V3, 'B3-new', wsB),
      tombstone('cus_mixed_del', V2),
      aCustomerChange({
        workspaceId: wsB,
        externalId: 'cus_mixed_dup',
        version: V3,
        eventId: dupEvent.providerEventId,
      }),
      aProductChange({ workspaceId: wsB, externalId: 'prod_mixed', version: V1 }),
      aCustomerChange({ workspaceId: wsB, externalId: 'cus_mixed_new', version: V1 }),
    ];
    const result = await repo.applyChanges(batch, { events: [dupEvent] });
    expect(result.outcomes).toEqual([
      'stale',
      'applied',
      'applied',
      'duplicate',
      'applied',
      'applied',
    ]);

    expect((await customer(wsA, ext))?.name).toBe('A2');
    expect((await customer(wsB, ext))?.name).toBe('B3-new');
    expect((await customer(wsA, 'cus_mixed_del'))?.deleted_at).not.toBeNull();
    expect(await customer(wsA, 'cus_mixed_new')).toBeUndefined();
    expect(await reader.findByExternalId(wsA, 'product', 'stripe', 'prod_mixed')).toBeUndefined();
    expect(await reader.findByExternalId(wsB, 'product', 'stripe', 'prod_mixed')).toBeDefined();
  });
});

describe('Stripe Connect: the provider account of a row (issue 19 item 3)', () => {
  const accountOf = async (id: string) =>
    (await customer(wsA, id))?.provider_account_id as string | null | undefined;

  it("a full upsert writes the change's account; one without an account keeps the stored one", async () => {
    const id = 'cus_connect_1';
    expect(
      (await repo.applyChanges([{ ...named(id, V1, 'first'), accountId: 'acct_connected_a' }]))
        .outcomes,
    ).toEqual(['applied']);
    expect(await accountOf(id)).toBe('acct_connected_a');
    expect((await repo.applyChanges([named(id, V2, 'second')])).outcomes).toEqual(['applied']);
    expect(await accountOf(id)).toBe('acct_connected_a');
    expect((await customer(wsA, id))?.name).toBe('second');
    expect(
      (await repo.applyChanges([{ ...named(id, V3, 'third'), accountId: null }])).outcomes,
    ).toEqual(['applied']);
    expect(await accountOf(id)).toBe('acct_connected_a');
  });

  it('a bare tombstone writes its account (a new row) and keeps a stored one', async () => {
    expect(
      (
        await repo.applyChanges([
          { ...tombstone('cus_connect_2', V1), accountId: 'acct_connected_b' },
        ])
      ).outcomes,
    ).toEqual(['applied']);
    expect(await accountOf('cus_connect_2')).toBe('acct_connected_b');
    await repo.applyChanges([
      { ...named('cus_connect_3', V1, 'x'), accountId: 'acct_connected_c' },
    ]);
    expect((await repo.applyChanges([tombstone('cus_connect_3', V2)])).outcomes).toEqual([
      'applied',
    ]);
    expect(await accountOf('cus_connect_3')).toBe('acct_connected_c');
    expect((await customer(wsA, 'cus_connect_3'))?.deleted_at).not.toBeNull();
  });

  it("the connection's own objects (no account) stay null; a stale change writes no account", async () => {
    await repo.applyChanges([named('cus_connect_4', V2, 'own')]);
    expect(await accountOf('cus_connect_4')).toBeNull();
    expect(
      (await repo.applyChanges([{ ...named('cus_connect_4', V1, 'old'), accountId: 'acct_x' }]))
        .outcomes,
    ).toEqual(['stale']);
    expect(await accountOf('cus_connect_4')).toBeNull();
  });
});

describe('tenant scope (row-level security)', () => {
  it('hides workspace A rows from workspace B even without a WHERE clause', async () => {
    const scope = new TenantScope({ prisma });
    await repo.applyChanges([
      aCustomerChange({ workspaceId: wsA, externalId: 'cus_rls_a', version: V1 }),
    ]);
    const seenByB = await scope.run(wsB, (tx) =>
      tx.$queryRawUnsafe<{ workspace_id: string; external_id: string }[]>(
        'SELECT workspace_id::text, external_id FROM customers',
      ),
    );
    expect(seenByB.length).toBeGreaterThan(0);
    expect(seenByB.every((r) => r.workspace_id === wsB)).toBe(true);
    expect(seenByB.map((r) => r.external_id)).not.toContain('cus_rls_a');

    const seenByA = await scope.run(wsA, (tx) =>
      tx.$queryRawUnsafe<{ n: bigint }[]>(
        "SELECT count(*) AS n FROM customers WHERE external_id = 'cus_rls_a'",
      ),
    );
    expect(Number(seenByA[0]?.n)).toBe(1);
  });

  it('sees nothing without a workspace, and cannot write', async () => {
    const rows = await prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL ROLE paysync_tenant');
      return tx.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM customers');
    });
    expect(Number(rows[0]?.n)).toBe(0);
    const scope = new TenantScope({ prisma });
    await expect(
      scope.run(wsA, (tx) => tx.$executeRawUnsafe("UPDATE customers SET name = 'x'")),
    ).rejects.toThrow();
  });

  it('rejects a workspace id that is not a UUID', async () => {
    await expect(
      new TenantScope({ prisma }).run("x' OR true --", async () => 1),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('text PostgreSQL cannot store (issue 16 item 6)', () => {
  // NUL is refused by text and jsonb; a lone surrogate by jsonb (JSON.parse accepts both).
  const BAD_NAME = 'Ada\u0000 Lovelace';
  const BAD_NOTE = 'half a pair: \ud83d end';
  const badRaw = (id: string) => ({
    id,
    object: 'customer',
    name: BAD_NAME,
    description: BAD_NOTE,
    metadata: { ['k\u0000ey']: '\udc00' },
  });

  it('stores the object with NUL removed and lone surrogates replaced; the original is recoverable', async () => {
    const change = aCustomerChange({
      workspaceId: wsA,
      externalId: 'cus_nul_1',
      version: V1,
      data: aCustomerData({ name: BAD_NAME, description: BAD_NOTE, metadata: { note: BAD_NOTE } }),
      raw: badRaw('cus_nul_1'),
    });
    expect((await repo.applyChanges([change])).outcomes).toEqual(['applied']);
    const row = await customer(wsA, 'cus_nul_1');
    expect(row).toMatchObject({
      name: 'Ada Lovelace',
      description: 'half a pair: \ufffd end',
      metadata: { note: 'half a pair: \ufffd end' },
    });
    expect(row?.raw).toEqual({
      ...badRaw('cus_nul_1'),
      name: 'Ada Lovelace',
      description: 'half a pair: \ufffd end',
      metadata: { key: '\ufffd' },
    });
    // Lossless: the original JSON text parses back to exactly what the provider sent.
    expect(JSON.parse(row?.raw_original as string)).toEqual(badRaw('cus_nul_1'));
    // The same state again is unchanged (compared in its stored form), not a tie.
    expect((await repo.applyChanges([change])).outcomes).toEqual(['unchanged']);
    // A clean newer state clears the original.
    await repo.applyChanges([named('cus_nul_1', V2, 'clean')]);
    expect((await customer(wsA, 'cus_nul_1'))?.raw_original).toBeNull();
  });

  it('reconciliation compares such an object in its stored form: no drift, no failure', async () => {
    const change = aCustomerChange({
      workspaceId: wsA,
      externalId: 'cus_nul_drift',
      version: V1,
      data: aCustomerData({ name: BAD_NAME, metadata: { note: BAD_NOTE } }),
      raw: badRaw('cus_nul_drift'),
    });
    await repo.applyChanges([change]);
    expect(await new DriftRepository({ prisma }).compare('customer', [change])).toEqual(['same']);
  });

  it('a webhook event carrying such an object is applied and its payload kept losslessly', async () => {
    const payload = {
      id: 'evt_x',
      type: 'customer.updated',
      data: { object: badRaw('cus_nul_2') },
    };
    const event = anEvent({ workspaceId: wsA, objectId: 'cus_nul_2', payload });
    const change = aCustomerChange({
      workspaceId: wsA,
      externalId: 'cus_nul_2',
      version: V1,
      eventId: event.providerEventId,
      data: aCustomerData({ name: BAD_NAME }),
      raw: badRaw('cus_nul_2'),
    });
    const result = await repo.applyChanges([change], { events: [event] });
    expect(result.outcomes).toEqual(['applied']);
    expect(result.events).toEqual([expect.objectContaining({ status: 'processed' })]);
    const stored = await prisma.paymentSyncEvent.findFirstOrThrow({
      where: { providerEventId: event.providerEventId },
    });
    expect(stored.status).toBe('processed');
    expect(JSON.parse(stored.payloadOriginal as string)).toEqual(payload);
    expect(JSON.stringify(stored.payload)).not.toMatch(/\\u0000|\\udc00/);
    expect((await customer(wsA, 'cus_nul_2'))?.name).toBe('Ada Lovelace');
  });

  it('records a failure of such an event (retry tier, DLQ) without failing itself', async () => {
    const event = anEvent({
      workspaceId: wsA,
      eventType: 'customer.updated',
      payload: { data: { object: badRaw('cus_nul_3') } },
    });
    await repo.recordFailures([
      { event, status: 'dead', attempt: 3, errorClass: 'TEST', message: 'boom \u0000' },
    ]);
    const stored = await prisma.paymentSyncEvent.findFirstOrThrow({
      where: { providerEventId: event.providerEventId },
    });
    expect(stored).toMatchObject({ status: 'dead', lastError: 'boom ' });
    expect(JSON.parse(stored.payloadOriginal as string)).toEqual(event.payload);
  });

  it('with isolateFailures, a record PostgreSQL still refuses is reported and the rest written', async () => {
    const changes = Array.from({ length: 100 }, (_, i) =>
      named(`cus_iso_${i}`, V1, i === 13 ? BAD_NAME : `good ${i}`),
    );
    // Two records no policy can store: a currency too long for char(3), an id with NUL.
    changes[40] = aCustomerChange({
      workspaceId: wsA,
      externalId: 'cus_iso_40',
      version: V1,
      data: aCustomerData({ currency: 'dollars' }),
    });
    changes[77] = named('cus_iso_\u000077', V1, 'bad id');
    // Without isolation the whole batch fails and writes nothing.
    await expect(repo.applyChanges(changes)).rejects.toThrow();
    expect(await prisma.customer.count({ where: { externalId: { startsWith: 'cus_iso_' } } })).toBe(
      0,
    );

    const result = await prisma.$transaction((tx) =>
      repo.applyChanges(changes, { tx, isolateFailures: true }),
    );
    expect(result.outcomes.filter((o) => o === 'applied')).toHaveLength(98);
    expect(result.outcomes[40]).toBe('failed');
    expect(result.outcomes[77]).toBe('failed');
    expect(result.failures).toEqual([
      expect.objectContaining({
        index: 40,
        externalId: 'cus_iso_40',
        reason: expect.stringMatching(/^22001: /),
      }),
      expect.objectContaining({
        index: 77,
        entityType: 'customer',
        reason: expect.stringMatching(/^22/),
      }),
    ]);
    expect(await prisma.customer.count({ where: { externalId: { startsWith: 'cus_iso_' } } })).toBe(
      98,
    );
    expect((await customer(wsA, 'cus_iso_13'))?.name).toBe('Ada Lovelace');
  });
});
