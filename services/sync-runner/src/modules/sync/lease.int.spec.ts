import {
  SyncWriteRepository,
  type ConnectionView,
  type Db,
  type SyncSessionRepository,
} from '@paysync/db';
import { aCustomerChange } from '@paysync/db/testing';
import { StripeSimulator } from '@paysync/simulator';
import { eventually } from '@paysync/testkit';

import {
  BackfillHarness,
  ProviderProxy,
  type ProxyAnswer,
} from '../../testing/backfill-harness.js';
import { LeaseLostError, SyncUnitRepository } from './sync-unit.repository.js';

// Issue 16 item 4: a lease belongs to one claim (a token), not to a replica. A worker stuck in a
// provider call past its lease loses the unit to another worker of the same replica; whatever it
// does afterwards (write its late page, fail the unit) is refused, and the session ends complete.

const CUSTOMERS = 240;

let h: BackfillHarness;
let prisma: Db;
let sim: StripeSimulator;
let simUrl: string;
let proxy: HoldingProxy;
let sessions: SyncSessionRepository;

beforeAll(async () => {
  h = await BackfillHarness.open();
  prisma = h.prisma;
  sessions = h.sessions;
  sim = new StripeSimulator({ seed: { customers: CUSTOMERS } });
  simUrl = await sim.start();
  proxy = await HoldingProxy.start(simUrl);
}, 60_000);

afterAll(() => h?.close(proxy, sim));

const tenant = (name: string, apiBaseUrl: string): Promise<ConnectionView> =>
  h.tenant(name, { apiBaseUrl });

const startSession = (c: ConnectionView) => h.startSession(c);

const runner = (env: Record<string, string>) =>
  h.startRunner('lease', `${simUrl},${proxy.url}`, {
    SYNC_POLL_INTERVAL_MS: '50',
    SYNC_RETRY_BACKOFF_MS: '100',
    SYNC_SEGMENTS_PER_ENTITY: '3',
    SYNC_PAGE_SIZE: '20',
    SYNC_RUNNER_CONCURRENCY: '4',
    ...env,
  });

const finished = (sessionId: string) => h.finished(sessionId);

/** The customer units of a session, in segment order. */
const unitsOf = (sessionId: string) =>
  prisma.syncUnit.findMany({ where: { sessionId }, orderBy: { segment: 'asc' } });

/** Every object landed once: the units' created-time ranges tile the whole line, each page counted once. */
async function expectCompleteAndContiguous(sessionId: string, workspaceId: string) {
  const units = await unitsOf(sessionId);
  expect(units.length).toBeGreaterThan(1); // split into segments
  expect(units.every((u) => u.status === 'done')).toBe(true);
  expect(units[0]?.createdGte).toBeNull();
  expect(units.at(-1)?.createdLt).toBeNull();
  for (let i = 1; i < units.length; i++) {
    expect(units[i]?.createdGte).not.toBeNull();
    expect(units[i]?.createdGte).toBe(units[i - 1]?.createdLt);
  }
  // Each provider object was fetched and committed exactly once across the units.
  expect(units.reduce((n, u) => n + u.fetched, 0)).toBe(CUSTOMERS);
  expect(units.reduce((n, u) => n + u.written, 0)).toBe(CUSTOMERS);
  expect(await prisma.customer.count({ where: { workspaceId } })).toBe(CUSTOMERS);
}

async function leaseLost(app: Awaited<ReturnType<typeof runner>>, operation: string) {
  const { values } = await app.diContainer.cradle.syncMetrics.leaseLost.get();
  return values.find((v) => v.labels.operation === operation)?.value ?? 0;
}

/** A page request after a unit's first page (a cursor), not a split probe. */
const nextPageOfCustomers = (url: URL) =>
  url.pathname === '/v1/customers' &&
  url.searchParams.has('starting_after') &&
  url.searchParams.get('limit') === '20';

it('a claim whose lease passed to another claim (same owner name) can change nothing', async () => {
  const c = await tenant('stale-claim', simUrl);
  const session = await startSession(c);
  const units = new SyncUnitRepository({
    prisma,
    syncSessionRepository: sessions,
    syncWriteRepository: new SyncWriteRepository({ prisma }),
  });
  expect(await units.plan(session.id)).toBe(true);
  // One replica, two of its workers: the owner string is the same, the claims are not.
  const owner = 'replica-1';
  const stale = await units.claim(owner, 1);
  expect(stale).toBeDefined();
  const fresh = await eventually(() => units.claim(owner, 60_000), {
    what: 'the expired lease taken over',
  });
  expect(fresh.id).toBe(stale!.id);
  expect(fresh.leaseToken).not.toBe(stale!.leaseToken);

  const page = (externalId: string) => ({
    changes: [aCustomerChange({ workspaceId: c.workspaceId, externalId })],
    nextCursor: 'cus_next',
    requests: 1,
    throttles: 0,
  });
  expect(await units.renew(stale!, 60_000)).toBe(false);
  await expect(units.commitPage(stale!, 60_000, page('cus_stale_page'))).rejects.toMatchObject({
    constructor: LeaseLostError,
    operation: 'checkpoint',
  });
  await expect(units.split(stale!, [{ gte: null, lt: 100 }], 1)).rejects.toMatchObject({
    operation: 'split',
  });
  await expect(
    units.fail(stale!, { code: 'PROVIDER_ERROR', message: 'from a stale worker' }),
  ).rejects.toMatchObject({ operation: 'fail' });
  expect(await units.release(stale!)).toBe(false);

  // Nothing of the stale claim landed: no row, no counters, the unit and session untouched.
  expect(await prisma.customer.count({ where: { externalId: 'cus_stale_page' } })).toBe(0);
  const unit = await prisma.syncUnit.findUniqueOrThrow({ where: { id: fresh.id } });
  expect(unit).toMatchObject({
    status: 'running',
    leaseToken: fresh.leaseToken,
    pages: 0,
    fetched: 0,
    createdLt: null,
  });
  expect((await sessions.statusOf(session.id)) ?? '').toBe('running');

  // The current claim works as before.
  expect(await units.renew(fresh, 60_000)).toBe(true);
  expect((await units.commitPage(fresh, 60_000, page('cus_fresh_page'))).written).toBe(1);
  expect(await prisma.customer.count({ where: { externalId: 'cus_fresh_page' } })).toBe(1);
  // Its made-up cursor is for no runner to follow (the next tests start runners on this database).
  await sessions.cancel(c.workspaceId, session.id);
});

it.each([
  { late: 'page' as const, refused: 'checkpoint' },
  { late: 'permanent error' as const, refused: 'fail' },
])(
  'a worker stuck in a provider call loses its unit to another worker; its late $late is refused',
  async ({ late, refused }) => {
    // Renewals stop 1.5 s after the last checkpoint, so the stuck worker's lease expires soon.
    const app = await runner({ SYNC_UNIT_LEASE_MS: '600', SYNC_UNIT_MAX_RENEW_MS: '1500' });
    try {
      const c = await tenant(`stuck-${late}`, proxy.url);
      const stuck = proxy.hold(nextPageOfCustomers);
      const session = await startSession(c);
      app.diContainer.cradle.syncWorkerPool.poke();
      const url = await stuck.arrived;
      // The worker that takes the unit over asks for the same page (from the last checkpoint):
      // hold it too, so the stale worker answers while its successor still runs the unit.
      const successor = proxy.hold((u) => u.href === url.href);
      await successor.arrived;
      expect((await unitsOf(session.id)).some((u) => u.attempts > 1)).toBe(true);

      if (late === 'page') stuck.forward();
      else stuck.answer(400, { error: { type: 'invalid_request_error', message: 'stale' } });
      await eventually(async () => (await leaseLost(app, refused)) >= 1, {
        what: `the stale worker's ${refused} refused`,
      });
      successor.forward();

      const done = await finished(session.id);
      expect(done.status).toBe('completed');
      expect(done.error).toBeNull();
      await expectCompleteAndContiguous(session.id, c.workspaceId);
    } finally {
      await app.close();
    }
  },
  90_000,
);

it('a page slower than the lease keeps its lease: renewed while the worker waits', async () => {
  const leaseMs = 1000;
  const app = await runner({
    SYNC_UNIT_LEASE_MS: String(leaseMs),
    SYNC_UNIT_MAX_RENEW_MS: '60000',
  });
  try {
    const c = await tenant('slow-page', proxy.url);
    const slow = proxy.hold(nextPageOfCustomers);
    const session = await startSession(c);
    app.diContainer.cradle.syncWorkerPool.poke();
    await slow.arrived;
    // The other segments finish; the one whose page is held is left running.
    const held = await eventually(
      async () => {
        const units = await unitsOf(session.id);
        const running = units.filter((u) => u.status !== 'done');
        return units.length > 1 && running.length === 1 && running[0]?.status === 'running'
          ? running[0]
          : undefined;
      },
      { what: 'every unit but the held one done' },
    );
    // Its lease is extended again and again while the page is held: three leases past the
    // expiry it had then, still the same claim (no takeover, attempts 1).
    await eventually(
      async () => {
        const unit = await prisma.syncUnit.findUniqueOrThrow({ where: { id: held.id } });
        expect(unit).toMatchObject({ status: 'running', attempts: 1, leaseToken: held.leaseToken });
        return unit.leaseExpiresAt!.getTime() >= held.leaseExpiresAt!.getTime() + 3 * leaseMs;
      },
      { what: 'the held unit renewed three leases on' },
    );
    slow.forward();
    const done = await finished(session.id);
    expect(done.status).toBe('completed');
    // The held unit was never taken over. (Other units may be, on a loaded machine: that is
    // what the other tests cover.)
    expect(await prisma.syncUnit.findUniqueOrThrow({ where: { id: held.id } })).toMatchObject({
      status: 'done',
      attempts: 1,
    });
    await expectCompleteAndContiguous(session.id, c.workspaceId);
  } finally {
    await app.close();
  }
}, 90_000);

/** One held request: `arrived` resolves with its URL; then forward it or answer it. */
interface Hold {
  readonly arrived: Promise<URL>;
  forward(): void;
  answer(status: number, body: unknown): void;
}

/** A registered hold: which request, who to tell it arrived, what to do with it. */
interface Pending {
  readonly match: (url: URL) => boolean;
  readonly arrive: (url: URL) => void;
  readonly gate: Promise<ProxyAnswer | 'forward'>;
}

/**
 * A {@link ProviderProxy} in front of the simulator that passes every request through, except
 * the next one matching a registered hold: that one waits until the test forwards or answers it
 * (a provider call that hangs for as long as the test wants).
 */
class HoldingProxy {
  readonly #proxy: ProviderProxy;
  readonly #holds: Pending[];

  private constructor(proxy: ProviderProxy, holds: Pending[]) {
    this.#proxy = proxy;
    this.#holds = holds;
  }

  static async start(target: string): Promise<HoldingProxy> {
    const holds: Pending[] = [];
    const proxy = await ProviderProxy.start(target, {
      intercept: async (url) => {
        const index = holds.findIndex((h) => h.match(url));
        if (index < 0) return undefined;
        const [hold] = holds.splice(index, 1);
        hold!.arrive(url);
        const how = await hold!.gate;
        return how === 'forward' ? undefined : how;
      },
    });
    return new HoldingProxy(proxy, holds);
  }

  get url(): string {
    return this.#proxy.url;
  }

  hold(match: (url: URL) => boolean): Hold {
    let arrive!: (url: URL) => void;
    let open!: (how: ProxyAnswer | 'forward') => void;
    const arrived = new Promise<URL>((resolve) => (arrive = resolve));
    const gate = new Promise<ProxyAnswer | 'forward'>((r) => (open = r));
    this.#holds.push({ match, arrive, gate });
    return {
      arrived,
      forward: () => open('forward'),
      answer: (status, body) => open({ status, body }),
    };
  }

  stop(): Promise<void> {
    return this.#proxy.stop();
  }
}
