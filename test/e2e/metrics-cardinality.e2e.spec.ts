import { STRIPE_EVENT_TYPES } from '@paysync/providers';
import { eventually } from '@paysync/testkit';

import { pipelineEvent, startPipeline, type Pipeline } from '../support/pipeline.js';
import { postSignedWebhook } from '../support/webhooks.js';

// Label values a caller chooses must not become series: anyone can post to
// /webhooks/<anything>, and a tenant signs its own events with any `type` it likes. A flood of
// random provider names and event types leaves the series count of both metrics bounded.
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline({ seed: { customers: 2, products: 1, prices: 1 } });
}, 120_000);

afterAll(async () => {
  await p?.close();
});

const random = () => Math.random().toString(36).slice(2, 10);

/** The series of one metric, as `{labels}` strings, from a service's /metrics. */
async function series(app: Pipeline['ingress' | 'processor'], metric: string): Promise<string[]> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  return res.body
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`))
    .map((line) => line.slice(metric.length, line.lastIndexOf('}') + 1));
}

function labelValues(lines: readonly string[], label: string): Set<string> {
  return new Set(lines.map((l) => new RegExp(`${label}="([^"]*)"`).exec(l)?.[1] ?? ''));
}

it('random provider names in the URL count as provider="unknown"', async () => {
  const FLOOD = 150;
  for (let i = 0; i < FLOOD; i++) {
    const res = await fetch(`${p.ingressUrl}/webhooks/${random()}/${p.connection.id}`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  }
  const lines = await series(p.ingress, 'paysync_webhooks_rejected_total');
  expect([...labelValues(lines, 'provider')]).toEqual(['unknown']);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('reason="NOT_FOUND"');
  const total = (await p.ingress.inject({ method: 'GET', url: '/metrics' })).body.match(
    /paysync_webhooks_rejected_total\{[^}]*provider="unknown"[^}]*\} (\d+)/,
  );
  expect(Number(total?.[1])).toBe(FLOOD);
});

it('tenant-chosen event types count as type="other"; mapped types keep their name', async () => {
  const FLOOD = 120;
  const post = async (type: string) => {
    const body = JSON.stringify(
      pipelineEvent(
        p,
        type,
        { id: `cus_${random()}`, object: 'customer' },
        `evt_${random()}${random()}`,
      ),
    );
    expect(await postSignedWebhook(p.webhookUrl, body, p.webhookSecret)).toBe(200);
  };
  for (let i = 0; i < FLOOD; i++) await post(`tenant.${random()}.${i}`);
  await post('customer.updated');

  // The series are read once every event was counted (read before the sum, the last event's
  // series could be missing from them while the sum already included it).
  const counted = async () => {
    const body = (await p.processor.inject({ method: 'GET', url: '/metrics' })).body;
    const sum = [...body.matchAll(/^paysync_processor_events_total\{[^}]*\} (\d+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    return sum >= FLOOD + 1 ? series(p.processor, 'paysync_processor_events_total') : undefined;
  };
  const lines = await eventually(counted, {
    what: 'every flooded event counted',
    timeoutMs: 60_000,
  });
  const types = labelValues(lines, 'type');
  expect(types.has('other')).toBe(true);
  expect(types.has('customer.updated')).toBe(true);
  for (const t of types) expect(['other', ...STRIPE_EVENT_TYPES]).toContain(t);
  // Bounded by the mapped types times the outcomes, whatever the flood: here a handful.
  expect(lines.length).toBeLessThanOrEqual(4);
});
