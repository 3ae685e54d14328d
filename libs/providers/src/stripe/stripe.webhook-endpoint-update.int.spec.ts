import { StripeSimulator } from '@paysync/simulator';

import { STRIPE_EVENT_TYPES, STRIPE_SYNCED_EVENT_TYPES, StripeProvider } from '../index.js';
import { recordingProxy, type RecordingProxy } from '../testing/index.js';

// A connection registered before issue 19 has a webhook endpoint subscribed to the six original
// types' events only; registering its URL again must subscribe it to every type we sync now
// (refunds, disputes, payouts, …), or those changes only ever arrive through reconciliation.
// The provider talks to the simulator through a loopback proxy that records each request.

const sorted = (events: readonly string[]) => [...events].sort();

describe('StripeProvider.registerWebhookEndpoint: an existing endpoint', () => {
  let sim: StripeSimulator;
  let proxy: RecordingProxy;
  let provider: StripeProvider;
  let requests: RecordingProxy['requests'];

  beforeAll(async () => {
    sim = new StripeSimulator({ seed: { customers: 0 } });
    await sim.start();
    proxy = await recordingProxy(sim.url);
    requests = proxy.requests;
    provider = new StripeProvider({
      apiKey: 'sk_test_endpoint_update_0001',
      apiBaseUrl: proxy.url,
      rateLimitPerSecond: 1000,
    });
  });

  afterAll(async () => {
    await proxy?.close();
    await sim.stop();
  });

  beforeEach(() => {
    requests.length = 0;
  });

  const endpoint = (id: string) => sim.webhookEndpoints().find((e) => e.id === id);

  it('subscribes an endpoint of the original event types to every synced type, once', async () => {
    const url = 'https://hooks.example.com/webhooks/stripe/before-issue-19';
    const old = sim.addWebhookEndpoint(url, undefined, [...STRIPE_EVENT_TYPES]);
    expect(STRIPE_SYNCED_EVENT_TYPES.length).toBeGreaterThan(STRIPE_EVENT_TYPES.length);

    const first = await provider.registerWebhookEndpoint(url);
    expect(first).toEqual({ id: old.id, url, secret: null, created: false });
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/webhook_endpoints',
      `POST /v1/webhook_endpoints/${old.id}`,
    ]);
    // Only the events change: its URL and API version are left as they are.
    expect(requests[1]?.body).not.toMatch(/(^|&)(url|api_version)=/);
    expect(sorted(endpoint(old.id)?.enabledEvents ?? [])).toEqual(
      sorted(STRIPE_SYNCED_EVENT_TYPES),
    );
    // Same endpoint, same secret: nothing to hand out again.
    expect(endpoint(old.id)).toMatchObject({ url, secret: old.secret });
    expect(sim.webhookEndpoints().filter((e) => e.url === url)).toHaveLength(1);

    requests.length = 0;
    const second = await provider.registerWebhookEndpoint(url);
    expect(second).toEqual(first);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/webhook_endpoints']);
  });

  it('keeps event types of its own the endpoint was given besides ours', async () => {
    const url = 'https://hooks.example.com/webhooks/stripe/with-extra';
    const extra = 'account.updated';
    expect(STRIPE_SYNCED_EVENT_TYPES).not.toContain(extra);
    const old = sim.addWebhookEndpoint(url, undefined, [STRIPE_EVENT_TYPES[0] as string, extra]);

    await provider.registerWebhookEndpoint(url);
    expect(sorted(endpoint(old.id)?.enabledEvents ?? [])).toEqual(
      sorted([...STRIPE_SYNCED_EVENT_TYPES, extra]),
    );
  });

  it('leaves an endpoint subscribed to every event (*) alone', async () => {
    const url = 'https://hooks.example.com/webhooks/stripe/everything';
    const old = sim.addWebhookEndpoint(url, undefined, ['*']);

    expect(await provider.registerWebhookEndpoint(url)).toEqual({
      id: old.id,
      url,
      secret: null,
      created: false,
    });
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/webhook_endpoints']);
    expect(endpoint(old.id)?.enabledEvents).toEqual(['*']);
  });

  it('creates a missing endpoint subscribed to every synced type (no update)', async () => {
    const url = 'https://hooks.example.com/webhooks/stripe/new';
    const created = await provider.registerWebhookEndpoint(url);
    expect(created).toMatchObject({ url, created: true, secret: expect.stringMatching(/^whsec_/) });
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/webhook_endpoints',
      'POST /v1/webhook_endpoints',
    ]);
    expect(sorted(endpoint(created.id)?.enabledEvents ?? [])).toEqual(
      sorted(STRIPE_SYNCED_EVENT_TYPES),
    );
  });
});
