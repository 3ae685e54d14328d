import { ENTITY_TYPES } from '@paysync/contracts';

import { createConnection, workspaceHarness } from '../testing/management-api.js';

// A sync or a reconciliation may name any of the synced entity types (issue 19: 23 of them for
// Stripe), not only the first six.

const t = workspaceHarness('sync-breadth');
beforeAll(() => createConnection(t.h, t.ws, { webhookSecret: undefined }));

const post = (url: string, payload: Record<string, unknown>) =>
  t.h.call(t.ws.apiKey, { method: 'POST', url: `${t.base}${url}`, payload });

it('an initial sync of every entity type names them all', async () => {
  const res = await post('/sync/stripe/initial', { entityTypes: [...ENTITY_TYPES] });
  expect([res.statusCode, res.body]).toEqual([202, expect.any(String)]);
  expect(res.json<{ entityTypes: string[] }>().entityTypes).toEqual([...ENTITY_TYPES]);
});

it('a reconciliation of every entity type is accepted', async () => {
  const res = await post('/sync/reconcile', { provider: 'stripe', entityTypes: [...ENTITY_TYPES] });
  expect([res.statusCode, res.body]).toEqual([202, expect.any(String)]);
});
