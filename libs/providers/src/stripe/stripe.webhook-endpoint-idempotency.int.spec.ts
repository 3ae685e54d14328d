import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { StripeProvider } from '../index.js';

// Issue 15 item 9: creating a webhook endpoint is retried after a timeout; without one idempotency
// key for every attempt, a request that reached Stripe but answered too late leaves a second
// endpoint behind. A loopback stand-in for Stripe records each create and never answers the
// first one (as if it had created the endpoint, then stalled), so the client times out and retries.
// (The Stripe SDK keys each request itself, but a fresh key per request: it is our retry that
// must carry the same one.)

let server: Server;
let baseUrl: string;
const creates: { idempotencyKey: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url?.startsWith('/v1/webhook_endpoints')) {
        res.end(JSON.stringify({ object: 'list', data: [], has_more: false }));
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/webhook_endpoints') {
        const key = req.headers['idempotency-key'];
        creates.push({ idempotencyKey: typeof key === 'string' ? key : undefined });
        if (creates.length === 1) return; // stalls until the client gives up
        res.end(
          JSON.stringify({
            id: 'we_idem_1',
            object: 'webhook_endpoint',
            url: 'https://hooks.example.com/x',
            secret: 'whsec_idem',
          }),
        );
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'no route' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('retries the create with the same idempotency key', async () => {
  const provider = new StripeProvider({
    apiKey: 'sk_test_idempotent_create_0001',
    apiBaseUrl: baseUrl,
    maxAttempts: 3,
    timeoutMs: 300,
  });
  const endpoint = await provider.registerWebhookEndpoint('https://hooks.example.com/x');
  expect(endpoint).toMatchObject({ id: 'we_idem_1', created: true });
  expect(creates).toHaveLength(2);
  expect(creates[0]?.idempotencyKey).toMatch(/\S{16,}/);
  expect(creates[1]?.idempotencyKey).toBe(creates[0]?.idempotencyKey);
});

it('uses a new key for another registration', async () => {
  const provider = new StripeProvider({
    apiKey: 'sk_test_idempotent_create_0001',
    apiBaseUrl: baseUrl,
  });
  const before = creates.length;
  await provider.registerWebhookEndpoint('https://hooks.example.com/x');
  expect(creates).toHaveLength(before + 1);
  expect(creates.at(-1)?.idempotencyKey).not.toBe(creates[0]?.idempotencyKey);
});
