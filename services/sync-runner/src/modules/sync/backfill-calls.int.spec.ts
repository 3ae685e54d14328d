import { SyncedEntityReader, type Db } from '@paysync/db';
import { StripeSimulator } from '@paysync/simulator';

import {
  BackfillHarness,
  ProviderProxy,
  type SyncRunnerApp,
} from '../../testing/backfill-harness.js';

// Issue 18 (backfill): segment boundaries come from the first page and a short bisection with
// one-object probes; the first page is the newest segment's first page (not fetched twice). The
// API calls of a backfill stay within 10 % of the minimal number of pages, and every object is
// listed by exactly one page.

const CUSTOMERS = 10_000;
const PAGE = 100;
const THREE_YEARS = 3 * 365 * 86_400;

let h: BackfillHarness;
let prisma: Db;
let sim: StripeSimulator;
let recorder: ProviderProxy;
let runner: SyncRunnerApp;

/** The customer list requests through the recorder, and how often each object was listed. */
let requests = 0;
const listed = new Map<string, number>();

/** Records the customer list requests and which objects each page (`limit` > 1) listed. */
function recordListing(req: { method?: string }, url: URL, upstream: Response, body: Buffer) {
  if (req.method === 'GET' && url.pathname === '/v1/customers') {
    requests++;
    if (upstream.ok && url.searchParams.get('limit') !== '1') {
      const page = JSON.parse(body.toString('utf8')) as { data: { id: string }[] };
      for (const { id } of page.data) listed.set(id, (listed.get(id) ?? 0) + 1);
    }
  }
}

beforeAll(async () => {
  h = await BackfillHarness.open();
  prisma = h.prisma;
  sim = new StripeSimulator({
    seed: { customers: CUSTOMERS },
    createdStepSeconds: Math.floor(THREE_YEARS / CUSTOMERS),
  });
  recorder = await ProviderProxy.start(await sim.start(), { observe: recordListing });
  runner = await h.startRunner('calls', recorder.url, {
    SYNC_POLL_INTERVAL_MS: '100',
    SYNC_SEGMENTS_PER_ENTITY: '4',
    SYNC_PAGE_SIZE: String(PAGE),
    SYNC_RUNNER_CONCURRENCY: '4',
  });
}, 60_000);

afterAll(() => h?.close(runner, recorder, sim));

it('a backfill of 10,000 customers over three years costs at most 1.1 × the minimal pages, each object listed once', async () => {
  const c = await h.tenant('calls', { apiBaseUrl: recorder.url, rateLimitPerSecond: 500 });
  const workspaceId = c.workspaceId;
  const session = await h.startSession(c);
  const done = await h.finished(session.id, {
    timeoutMs: 120_000,
    what: 'the backfill to finish',
  });
  expect(done.status).toBe('completed');

  // API calls: pages and probes together within 10 % of the minimum (100 pages of 100).
  const minimal = CUSTOMERS / PAGE;
  expect(requests).toBeLessThanOrEqual(Math.floor(1.1 * minimal));
  // Every object was listed by exactly one page (probes, one object each, are not pages).
  expect(listed.size).toBe(CUSTOMERS);
  expect([...listed.values()].filter((n) => n !== 1)).toEqual([]);

  // The units tile the created line (oldest first, open at both ends), each object counted once.
  const units = await prisma.syncUnit.findMany({
    where: { sessionId: session.id },
    orderBy: { segment: 'asc' },
  });
  expect(units.length).toBe(4);
  expect(units[0]?.createdGte).toBeNull();
  expect(units.at(-1)?.createdLt).toBeNull();
  for (let i = 1; i < units.length; i++) {
    expect(units[i]?.createdGte).toBe(units[i - 1]?.createdLt);
  }
  expect(units.reduce((n, u) => n + u.fetched, 0)).toBe(CUSTOMERS);
  expect(units.reduce((n, u) => n + u.written, 0)).toBe(CUSTOMERS);
  // The units account for every request made (the probes on the split unit).
  expect(units.reduce((n, u) => n + u.requests, 0)).toBe(requests);
  expect(await new SyncedEntityReader({ prisma }).count(workspaceId, 'customer')).toBe(CUSTOMERS);
}, 150_000);
