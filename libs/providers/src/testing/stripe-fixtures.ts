import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = join(dirname(fileURLToPath(import.meta.url)), '../stripe/__fixtures__/fixtures3.json');
let cache: Record<string, Record<string, unknown>> | undefined;

/** A deep copy of one of Stripe's official fixture objects (`customer`, `invoice`, …). */
export function stripeFixture(
  name: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  cache ??= (
    JSON.parse(readFileSync(file, 'utf8')) as { resources: Record<string, Record<string, unknown>> }
  ).resources;
  const base = cache[name];
  if (!base) throw new Error(`no Stripe fixture named ${name}`);
  return { ...structuredClone<Record<string, unknown>>(base), ...overrides };
}

/** A Stripe event wrapping `object`, shaped like Stripe sends it. */
export function aStripeEvent(
  type: string,
  object: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: `evt_${Math.random().toString(36).slice(2, 14)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: 1_764_000_000,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...overrides,
  };
}
