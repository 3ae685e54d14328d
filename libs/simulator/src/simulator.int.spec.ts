import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Stripe from 'stripe';

import { StripeSimulator, parseBracketParams, runLoad } from './index.js';

const SECRET = 'whsec_load_test_secret';
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('simulator', () => {
  it('seeds a million customers lazily and pages through the far end', async () => {
    const sim = new StripeSimulator({ seed: { customers: 1_000_000 } });
    const url = await sim.start();
    try {
      const res = await fetch(`${url}/v1/customers?limit=100&starting_after=cus_sim0000000050`, {
        headers: { authorization: 'Bearer sk_test_x' },
      });
      const body = (await res.json()) as { data: { id: string }[]; has_more: boolean };
      expect(body.data).toHaveLength(50);
      expect(body.data[0]?.id).toBe('cus_sim0000000049');
      expect(body.has_more).toBe(false);
      const first = (await (
        await fetch(`${url}/v1/customers?limit=1`, {
          headers: { authorization: 'Bearer sk_test_x' },
        })
      ).json()) as {
        data: { id: string }[];
      };
      expect(first.data[0]?.id).toBe('cus_sim0000999999');
    } finally {
      await sim.stop();
    }
  });

  it('spreads seeded objects over time and filters created bounds on that spread', async () => {
    const day = 86_400;
    const sim = new StripeSimulator({
      seed: { customers: 10 },
      createdStepSeconds: { customers: day },
    });
    const url = await sim.start();
    try {
      const base = 1_700_000_000;
      const list = async (query: string) =>
        (
          (await (
            await fetch(`${url}/v1/customers?limit=100&${query}`, {
              headers: { authorization: 'Bearer sk_test_x' },
            })
          ).json()) as { data: { id: string; created: number }[] }
        ).data;
      const all = await list('');
      expect(all.map((c) => c.created)).toEqual(
        Array.from({ length: 10 }, (_, i) => base + (9 - i) * day),
      );
      // [day 3, day 7): indexes 3..6, newest first; a bound between two objects rounds inward.
      const window = await list(`created[gte]=${base + 3 * day}&created[lt]=${base + 7 * day}`);
      expect(window.map((c) => c.id)).toEqual([6, 5, 4, 3].map((i) => `cus_sim000000000${i}`));
      const between = await list(
        `created[gte]=${base + 3 * day - 1}&created[lt]=${base + 4 * day + 1}`,
      );
      expect(between.map((c) => c.id)).toEqual(['cus_sim0000000004', 'cus_sim0000000003']);
      // gt/lte are the same window as gte/lt shifted by one second.
      const inclusive = await list(
        `created[gt]=${base + 3 * day - 1}&created[lte]=${base + 6 * day}`,
      );
      expect(inclusive.map((c) => c.id)).toEqual(window.map((c) => c.id));
    } finally {
      await sim.stop();
    }
  });

  it('answers Stripe-shaped errors: bad limit, unknown cursor, missing object, bad key', async () => {
    const sim = new StripeSimulator({ seed: { customers: 3 } });
    const url = await sim.start();
    const get = async (path: string, key = 'sk_test_x') => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      return {
        status: res.status,
        body: (await res.json()) as { error?: { type: string; code?: string } },
      };
    };
    try {
      expect((await get('/v1/customers?limit=101')).status).toBe(400);
      expect((await get('/v1/customers?starting_after=cus_nope')).status).toBe(400);
      expect(await get('/v1/customers/cus_sim0000000009')).toMatchObject({
        status: 404,
        body: { error: { code: 'resource_missing' } },
      });
      expect((await get('/v1/customers', 'pk_test_public')).status).toBe(401);
    } finally {
      await sim.stop();
    }
  });

  it('parses Stripe’s bracketed form parameters', () => {
    expect(
      parseBracketParams(
        new URLSearchParams(
          'metadata[plan]=gold&items[0][price]=p1&items[0][quantity]=2&created[gte]=5',
        ),
      ),
    ).toEqual({
      metadata: { plan: 'gold' },
      items: [{ price: 'p1', quantity: '2' }],
      created: { gte: '5' },
    });
  });
});

describe('load sender and CLI', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          // Verified by Stripe's own SDK: the simulator signs exactly as Stripe does.
          const event = Stripe.webhooks.constructEvent(
            Buffer.concat(chunks),
            String(req.headers['stripe-signature']),
            SECRET,
          );
          seen.push(event.id);
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends the requested count with duplicates and late events, all correctly signed', async () => {
    seen.length = 0;
    const report = await runLoad({
      url,
      secret: SECRET,
      count: 300,
      concurrency: 8,
      duplicateRate: 0.1,
      reorderRate: 0.1,
      types: ['customer.updated', 'invoice.paid', 'customer.subscription.updated'],
    });
    expect(report.sent).toBe(300);
    expect(report.accepted).toBe(300);
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBeLessThan(300); // duplicates share an event id
    expect(report.objects).toBeLessThan(300);
    expect(report.latencyMs.p99).toBeGreaterThan(0);
  });

  it('reports a wrong secret as rejections, not as accepted', async () => {
    const report = await runLoad({ url, secret: 'whsec_wrong', count: 5, concurrency: 2 });
    expect(report).toMatchObject({ accepted: 0, rejected: 5, statuses: { 400: 5 } });
  });

  it('triggers one signed event from the command line', async () => {
    seen.length = 0;
    const child = spawn(
      join(root, 'node_modules/.bin/tsx'),
      [
        '--conditions=@paysync/source',
        join(root, 'libs/simulator/src/cli.ts'),
        'trigger',
        'customer.created',
        '--url',
        url,
        '--secret',
        SECRET,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ type: 'customer.created', status: 200 });
    expect(seen).toHaveLength(1);
  });
});
