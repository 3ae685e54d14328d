import type { LightMyRequestResponse } from 'fastify';

import { SyncWriteRepository } from '@paysync/db';
import { anEvent } from '@paysync/db/testing';
import { stripeObjectToChange } from '@paysync/providers';
import { stripeFixture } from '@paysync/providers/testing';

import { startApiHarness, type ApiHarness } from './api-harness.js';

// Shared by the management API's integration tests (routes/*.int.spec.ts).

/** A Stripe secret key the simulator accepts. */
export const API_KEY = 'sk_test_51MgmtApiSecretKey0001';
export const WHSEC = 'whsec_mgmtApiSigningSecret0001';

export interface TestWorkspace {
  readonly id: string;
  readonly apiKey: string;
  readonly apiKeyId: string;
}

/**
 * Asserts an RFC 9457 problem: status, content type, stable code, and the request id the response
 * header carries. Returns the body for further checks.
 */
export function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  const body = res.json<{
    code: string;
    status: number;
    requestId: string;
    errors?: { path: string }[];
  }>();
  expect(body).toMatchObject({ code, status });
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body;
}

/** Adds a Stripe connection to the workspace through the API (201 asserted, the body shown if not). */
export async function createConnection(
  h: ApiHarness,
  ws: TestWorkspace,
  overrides: Record<string, unknown> = {},
) {
  const res = await h.call(ws.apiKey, {
    method: 'POST',
    url: `/api/v1/workspaces/${ws.id}/sync/config`,
    payload: {
      provider: 'stripe',
      apiKey: API_KEY,
      webhookSecret: WHSEC,
      settings: { apiBaseUrl: h.simUrl },
      ...overrides,
    },
  });
  expect([res.statusCode, res.body]).toEqual([201, expect.any(String)]);
  return res.json<{ id: string; webhookPath: string }>();
}

/**
 * What the read API and the event log tests read: one synced object of each entity type
 * (`*_read1`), a deleted customer (`cus_gone`), and 7 events (4 `invoice.paid`, 3
 * `customer.updated`, objects `obj_0…6`) whose payloads hold the marker `payload-marker`.
 */
export async function seedReadData(h: ApiHarness, workspaceId: string): Promise<void> {
  const ctx = { workspaceId, source: 'webhook' as const };
  const objects = [
    stripeFixture('customer', { id: 'cus_read1', email: 'read@example.com', name: 'Reader' }),
    stripeFixture('product', { id: 'prod_read1', name: 'Gold', active: true }),
    stripeFixture('price', { id: 'price_read1', product: 'prod_read1' }),
    stripeFixture('subscription', { id: 'sub_read1', customer: 'cus_read1' }),
    stripeFixture('invoice', { id: 'in_read1', customer: 'cus_read1' }),
    stripeFixture('payment_intent', { id: 'pi_read1', customer: 'cus_read1' }),
  ];
  const changes = objects.map((o, i) => {
    const c = stripeObjectToChange(o, { version: 1_764_000_000_000 + i, ctx });
    if (!c) throw new Error('unmapped fixture');
    return c;
  });
  const deleted = stripeObjectToChange(
    { id: 'cus_gone', object: 'customer', deleted: true },
    { version: 1_764_000_000_000, ctx },
  );
  if (!deleted) throw new Error('unmapped deletion');
  const events = Array.from({ length: 7 }, (_, i) =>
    anEvent({
      workspaceId,
      eventType: i % 2 ? 'customer.updated' : 'invoice.paid',
      objectId: `obj_${i}`,
      payload: { id: `evt_${i}`, object: 'event', secretish: 'payload-marker' },
    }),
  );
  await new SyncWriteRepository({ prisma: h.prisma }).applyChanges([...changes, deleted], {
    events,
  });
}

/**
 * Walks a paged listing (`path` with its query, `limit` included) from the first page to the
 * last, following `nextCursor`; returns the ids in the order served and every page's response.
 */
export async function pageThrough(h: ApiHarness, token: string, path: string) {
  const ids: string[] = [];
  const pages: LightMyRequestResponse[] = [];
  let cursor: string | null = null;
  do {
    const page = await h.call(token, {
      method: 'GET',
      url: `${path}${cursor ? `&cursor=${cursor}` : ''}`,
    });
    const body = page.json<{ data: { id: string }[]; nextCursor: string | null }>();
    ids.push(...body.data.map((item) => item.id));
    pages.push(page);
    cursor = body.nextCursor;
  } while (cursor);
  return { ids, pages };
}

/** A harness with one workspace (`name`) for a test file, and that workspace's URL base. */
export async function startWithWorkspace(
  name: string,
  opts?: Parameters<typeof startApiHarness>[0],
): Promise<{ h: ApiHarness; ws: TestWorkspace; base: string }> {
  const h = await startApiHarness(opts);
  try {
    const ws = await h.createWorkspace(name);
    return { h, ws, base: `/api/v1/workspaces/${ws.id}` };
  } catch (err) {
    await h.close(); // nothing else holds it to close
    throw err;
  }
}

/**
 * Registers the lifecycle of something a whole test file shares: `start` before all its tests,
 * `close` after them. The returned getter throws when read before the start ran.
 */
function perFile<T>(what: string, start: () => Promise<T>, close: (started: T) => Promise<void>) {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  }, 60_000);
  afterAll(async () => {
    if (started !== undefined) await close(started);
  });
  return (): T => {
    if (started === undefined) throw new Error(`${what} read before its beforeAll ran`);
    return started;
  };
}

/** The api harness of a test file: started before all its tests, closed after them. */
export function apiHarness(opts?: Parameters<typeof startApiHarness>[0]): {
  readonly h: ApiHarness;
} {
  const get = perFile(
    'api harness',
    () => startApiHarness(opts),
    (h) => h.close(),
  );
  return {
    get h() {
      return get();
    },
  };
}

/**
 * The harness of a test file that works in one workspace (`name`): started before all its tests
 * (see {@link startWithWorkspace}), closed after them. Its fields are readable from then on.
 */
export function workspaceHarness(
  name: string,
  opts?: Parameters<typeof startApiHarness>[0],
): { readonly h: ApiHarness; readonly ws: TestWorkspace; readonly base: string } {
  const get = perFile(
    `workspace harness "${name}"`,
    () => startWithWorkspace(name, opts),
    (started) => started.h.close(),
  );
  return {
    get h() {
      return get().h;
    },
    get ws() {
      return get().ws;
    },
    get base() {
      return get().base;
    },
  };
}
