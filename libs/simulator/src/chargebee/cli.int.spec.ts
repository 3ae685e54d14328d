import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { runChargebeeCli, type ChargebeeLoadReport } from './cli.js';
import type { ChargebeeSimulator } from './simulator.js';

const quiet = () => {
  const lines: string[] = [];
  return { lines, io: { log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) } };
};

describe('Chargebee simulator CLI', () => {
  let server: Server;
  let url: string;
  const received: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
        });
        res
          .writeHead(
            req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`
              ? 200
              : 401,
          )
          .end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/chargebee/c1`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('trigger sends one event with its resource and Basic credentials, exit 0 on 2xx', async () => {
    const { lines, io } = quiet();
    const code = await runChargebeeCli(
      'trigger',
      ['item_price_updated'],
      new Map([
        ['url', url],
        ['user', 'u'],
        ['password', 'p'],
      ]),
      io,
    );
    expect(code).toBe(0);
    expect(received.at(-1)?.body).toMatchObject({
      event_type: 'item_price_updated',
      content: { item_price: { id: expect.any(String), object: 'item_price' } },
    });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ type: 'item_price_updated', status: 200 });
  });

  it('trigger exits 1 when the endpoint refuses the credentials, 2 on bad usage', async () => {
    const { io } = quiet();
    const flags = new Map([
      ['url', url],
      ['user', 'u'],
      ['password', 'wrong'],
    ]);
    expect(await runChargebeeCli('trigger', ['payment_succeeded'], flags, io)).toBe(1);
    expect(received.at(-1)?.body).toMatchObject({ content: { transaction: expect.any(Object) } });
    expect(await runChargebeeCli('trigger', ['coupon_created'], flags, io)).toBe(2);
    expect(await runChargebeeCli('nope', [], flags, io)).toBe(2);
  });

  it('serve starts a seeded site on 127.0.0.1 with the given key and limit', async () => {
    const { lines, io } = quiet();
    let sim: ChargebeeSimulator | undefined;
    const code = await runChargebeeCli(
      'serve',
      [],
      new Map([
        ['port', '0'],
        ['customer', '7'],
        ['api-key', 'test_cli_key'],
        ['rate-per-minute', '150'],
      ]),
      io,
      (s) => (sim = s),
    );
    try {
      expect(code).toBe(0);
      expect(lines[0]).toContain('Chargebee simulator on http://127.0.0.1:');
      expect(sim?.rateLimitPerMinute).toBe(150);
      const res = await fetch(`${sim?.url}/api/v2/customers?limit=100`, {
        headers: { authorization: `Basic ${Buffer.from('test_cli_key:').toString('base64')}` },
      });
      expect(((await res.json()) as { list: unknown[] }).list).toHaveLength(7);
    } finally {
      await sim?.stop();
    }
  });

  it('load delivers changes of a simulated site with Basic credentials, duplicates included', async () => {
    const { lines, io } = quiet();
    const before = received.length;
    const code = await runChargebeeCli(
      'load',
      [],
      new Map([
        ['url', url],
        ['user', 'u'],
        ['password', 'p'],
        ['count', '40'],
        ['objects', '5'],
        ['duplicates', '0.5'],
        ['reorder', '4'],
        ['types', 'customer_changed,invoice_updated'],
      ]),
      io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(lines.join('\n')) as ChargebeeLoadReport;
    const arrived = received.slice(before);
    expect(report.events).toBe(40);
    expect(report.deliveries.duplicated).toBeGreaterThan(0);
    expect(report.deliveries.delivered).toBe(40 + report.deliveries.duplicated);
    expect(arrived).toHaveLength(report.deliveries.delivered);
    expect(new Set(arrived.map((r) => r.body.id)).size).toBe(40);
    expect(new Set(arrived.map((r) => r.body.event_type))).toEqual(
      new Set(['customer_changed', 'invoice_updated']),
    );
    expect(arrived.every((r) => r.headers.authorization === `Basic ${btoa('u:p')}`)).toBe(true);
    // 40 changes over 5 customers and 5 invoices: each object changed 4 times, versions growing.
    const versions = arrived
      .map((r) => r.body.content as Record<string, { id: string; resource_version: number }>)
      .map((c) => c.customer ?? c.invoice);
    expect(new Set(versions.map((v) => v?.id)).size).toBe(10);
    expect(new Set(versions.map((v) => v?.resource_version)).size).toBe(40);
  });

  it('load exits 1 when deliveries fail and 2 for an event type without a resource', async () => {
    const { io } = quiet();
    const flags = (more: [string, string][]) =>
      new Map([['url', url], ['user', 'u'], ['password', 'wrong'], ['count', '3'], ...more]);
    expect(await runChargebeeCli('load', [], flags([]), io)).toBe(1);
    expect(await runChargebeeCli('load', [], flags([['types', 'coupon_created']]), io)).toBe(2);
  });

  it('npm run sim dispatches --provider chargebee to this CLI', async () => {
    const before = received.length;
    const root = join(import.meta.dirname, '../../../..');
    const child = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', '--conditions=@paysync/source', 'libs/simulator/src/cli.ts'],
        ...['trigger', 'subscription_changed', '--provider', 'chargebee'],
        ...['--url', url, '--user', 'u', '--password', 'p'],
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ type: 'subscription_changed', status: 200 });
    expect(received.slice(before).map((r) => r.body.event_type)).toEqual(['subscription_changed']);
  });
});
