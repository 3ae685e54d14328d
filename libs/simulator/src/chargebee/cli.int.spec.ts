import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { runChargebeeCli } from './cli.js';
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
});
