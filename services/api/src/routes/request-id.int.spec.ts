import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';

// Issue 15 item 9: a client-supplied X-Request-ID is logged, echoed and stored in the audit trail,
// so only one that looks like an id is kept; anything else is replaced by a UUID of ours.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
}, 60_000);
afterAll(async () => h?.close());

async function createWorkspaceWith(requestId: string) {
  const res = await h.call('admin', {
    method: 'POST',
    url: '/api/v1/workspaces',
    payload: { name: 'request-id' },
    headers: { 'x-request-id': requestId },
  });
  expect(res.statusCode).toBe(201);
  const echoed = String(res.headers['x-request-id']);
  const audit = await h.prisma.auditLog.findFirst({
    where: { requestId: echoed },
    orderBy: { id: 'desc' },
  });
  return { echoed, audited: audit?.requestId };
}

it.each([
  ['markup', '<script>alert(1)</script>'],
  ['a forged log line', 'abc\u2028{"level":"error","msg":"forged"}'],
  ['kilobytes', 'x'.repeat(4096)],
  ['spaces and quotes', `id with "quotes"`],
])('replaces %s with a UUID, in the response and the audit trail', async (_what, given) => {
  const { echoed, audited } = await createWorkspaceWith(given);
  expect(echoed).toMatch(UUID);
  expect(audited).toBe(echoed);
});

it.each([
  ['a UUID', 'd4b5e3f0-1c2a-4b7e-9f00-0123456789ab'],
  ['a trace-style id', 'req_01HZX.3:abc-9'],
])('keeps %s', async (_what, given) => {
  const { echoed, audited } = await createWorkspaceWith(given);
  expect(echoed).toBe(given);
  expect(audited).toBe(given);
});
