import { ENTITY_TYPES } from '@paysync/contracts';

import type { ApiHarness } from '../testing/api-harness.js';
import {
  createConnection,
  startWithWorkspace,
  type TestWorkspace,
} from '../testing/management-api.js';

// A sync or a reconciliation may name any of the synced entity types (issue 19: 23 of them for
// Stripe), not only the first six.

let h: ApiHarness;
let ws: TestWorkspace;
let base: string;

beforeAll(async () => {
  ({ h, ws, base } = await startWithWorkspace('sync-breadth'));
  await createConnection(h, ws, { webhookSecret: undefined });
}, 60_000);
afterAll(async () => h?.close());

const post = (url: string, payload: Record<string, unknown>) =>
  h.call(ws.apiKey, { method: 'POST', url: `${base}${url}`, payload });

it('an initial sync of every entity type names them all', async () => {
  const res = await post('/sync/stripe/initial', { entityTypes: [...ENTITY_TYPES] });
  expect([res.statusCode, res.body]).toEqual([202, expect.any(String)]);
  expect(res.json<{ entityTypes: string[] }>().entityTypes).toEqual([...ENTITY_TYPES]);
});

it('a reconciliation of every entity type is accepted', async () => {
  const res = await post('/sync/reconcile', { provider: 'stripe', entityTypes: [...ENTITY_TYPES] });
  expect([res.statusCode, res.body]).toEqual([202, expect.any(String)]);
});
