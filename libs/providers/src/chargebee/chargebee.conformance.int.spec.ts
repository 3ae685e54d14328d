import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import Chargebee from 'chargebee';

import { ChargebeeSimulator } from '@paysync/simulator';

// Conformance: every object the Chargebee simulator answers with has every field the SDK's own
// resource types declare as required (not optional), at the top level and in the nested lists we
// read. The field lists are read from the installed SDK's .d.ts files, not written here, so an SDK
// upgrade that adds a required field fails this test until the simulator sends it.

const require = createRequire(import.meta.url);
const typesDir = join(dirname(require.resolve('chargebee')), '..', 'types', 'resources');

/** Required property names of `interface <name>` in `<file>.d.ts`, declared at `indent` spaces. */
function requiredFields(file: string, name: string, indent: number): string[] {
  const text = readFileSync(join(typesDir, `${file}.d.ts`), 'utf8');
  const pad = ' '.repeat(indent);
  const start = text.indexOf(`\n${pad}export interface ${name} {`);
  if (start < 0) throw new Error(`no interface ${name} in ${file}.d.ts`);
  const end = text.indexOf(`\n${pad}}`, start + 1);
  const body = text.slice(start, end);
  const fields = [...body.matchAll(new RegExp(`\\n${pad}  ([a-z_0-9]+):`, 'g'))].map((m) => m[1]);
  if (fields.length === 0) throw new Error(`no required fields read for ${name}`);
  return fields as string[];
}

const missing = (o: Record<string, unknown>, fields: readonly string[]) =>
  fields.filter((f) => o[f] === undefined);

let sim: ChargebeeSimulator;
let sdk: Chargebee;

beforeAll(async () => {
  sim = new ChargebeeSimulator({
    seed: {
      customer: 3,
      item: 3,
      item_price: 3,
      subscription: 3,
      invoice: 3,
      transaction: 3,
      credit_note: 3,
    },
  });
  const url = new URL(await sim.start());
  sdk = new Chargebee({
    site: url.hostname,
    apiKey: 'test_sim_key',
    hostSuffix: '',
    protocol: 'http',
    port: Number(url.port),
    sdkTelemetryEnabled: false,
  });
});

afterAll(async () => {
  await sim?.stop();
});

it.each([
  ['customer', 'Customer', () => sdk.customer.list({ limit: 3 })],
  ['item', 'Item', () => sdk.item.list({ limit: 3 })],
  ['item_price', 'ItemPrice', () => sdk.itemPrice.list({ limit: 3 })],
  ['subscription', 'Subscription', () => sdk.subscription.list({ limit: 3 })],
  ['invoice', 'Invoice', () => sdk.invoice.list({ limit: 3 })],
  ['transaction', 'Transaction', () => sdk.transaction.list({ limit: 3 })],
  ['credit_note', 'CreditNote', () => sdk.creditNote.list({ limit: 3 })],
] as const)('simulated %s objects have every field the SDK requires', async (key, type, list) => {
  const result = (await list()) as unknown as { list: Record<string, Record<string, unknown>>[] };
  const required = requiredFields(type, type, 2);
  expect(required).toContain('id');
  expect(result.list).toHaveLength(3);
  for (const entry of result.list) expect(missing(entry[key] ?? {}, required)).toEqual([]);
});

it('nested lists: subscription items, invoice line items, linked invoices', async () => {
  const sub = (await sdk.subscription.retrieve('cbsim_sub_00000001')).subscription;
  const inv = (await sdk.invoice.retrieve('cbsim_inv_00000001')).invoice;
  const txn = (await sdk.transaction.retrieve('cbsim_txn_00000001')).transaction;
  const checks: [Record<string, unknown>[] | undefined, string, string][] = [
    [
      sub.subscription_items as Record<string, unknown>[] | undefined,
      'Subscription',
      'SubscriptionItem',
    ],
    [inv.line_items as Record<string, unknown>[] | undefined, 'Invoice', 'LineItem'],
    [txn.linked_invoices as Record<string, unknown>[] | undefined, 'Transaction', 'LinkedInvoice'],
  ];
  for (const [rows, file, name] of checks) {
    expect(rows?.length).toBeGreaterThan(0);
    const required = requiredFields(file, name, 4);
    for (const row of rows ?? []) expect(missing(row, required)).toEqual([]);
  }
});

it('events have every field the SDK requires', async () => {
  sim.create('customer');
  const { list } = await sdk.event.list({ limit: 5 });
  const required = requiredFields('Event', 'Event', 2);
  expect(required).toEqual(expect.arrayContaining(['id', 'occurred_at', 'content']));
  for (const { event } of list)
    expect(missing(event as unknown as Record<string, unknown>, required)).toEqual([]);
});
