import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PROVIDERS, type ProviderName } from '@paysync/contracts';

import { createBillingProvider, createConnectionProvider } from './create-billing-provider.js';
import {
  providerAdapter,
  providerAdapters,
  registeredAdapter,
  supportedProviders,
} from './registry.js';
import { stripeRetrievable } from './stripe/stripe.provider.js';
import { claimedAccountId, mapProviderEvent, verifyProviderWebhook } from './webhooks.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the provider adapter registry (issue 17)', () => {
  it('has one adapter per provider name, under its own name', () => {
    expect(Object.keys(providerAdapters).sort()).toEqual([...PROVIDERS].sort());
    for (const name of PROVIDERS) expect(providerAdapters[name].name).toBe(name);
  });

  // Chargebee is offered since its adapter says supported (issue 17, "turn it on"): this test
  // asserted its refusal before; now it asserts it is offered and that an unknown name is refused.
  it('offers Stripe and Chargebee; an unknown provider is refused everywhere', () => {
    expect(supportedProviders()).toEqual(['stripe', 'chargebee']);
    expect(providerAdapter('stripe')).toBe(providerAdapters.stripe);
    expect(providerAdapter('chargebee')).toBe(providerAdapters.chargebee);
    expect(registeredAdapter('chargebee')?.name).toBe('chargebee');
    expect(registeredAdapter('paddle')).toBeUndefined();
    const unknown = 'paddle' as ProviderName;
    for (const refuse of [
      () => providerAdapter(unknown),
      () => createBillingProvider({ provider: unknown, apiKey: 'test_key' }),
      () => verifyProviderWebhook(unknown, Buffer.from('{}'), {}, []),
    ]) {
      expect(refuse).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
    expect(() =>
      mapProviderEvent(
        {
          provider: unknown,
          id: 'ev_1',
          type: 'customer_created',
          createdMs: 0,
          livemode: false,
          accountId: null,
          apiVersion: null,
          objectType: null,
          objectId: null,
          payload: {},
        },
        { workspaceId: 'w', source: 'webhook' },
      ),
    ).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    // Chargebee now verifies its own way: Basic credentials, none sent here.
    expect(() => verifyProviderWebhook('chargebee', Buffer.from('{}'), {}, [])).toThrow(
      expect.objectContaining({ code: 'WEBHOOK_SIGNATURE_MISSING' }),
    );
  });

  it('asks the adapter which settings a connection needs (Chargebee: its site)', () => {
    const { chargebee, stripe } = providerAdapters;
    expect(chargebee.validateSettings?.({ site: 'acme-test' }, 'body/settings')).toEqual([]);
    expect(chargebee.validateSettings?.({}, 'body/settings')).toEqual([
      { path: 'body/settings/site', message: 'is required for Chargebee' },
    ]);
    expect(
      chargebee
        .validateSettings?.({ site: 'acme.chargebee.com' }, 'body/settings')
        ?.map((e) => e.path),
    ).toEqual(['body/settings/site']);
    expect(stripe.validateSettings?.({}, 'body/settings') ?? []).toEqual([]);
  });

  it('says which connections sync the accounts under them (Stripe Connect), and refuses it where none exist', () => {
    const { chargebee, stripe } = providerAdapters;
    expect(stripe.syncsSubAccounts({ connect: true })).toBe(true);
    expect(stripe.syncsSubAccounts({ connect: false })).toBe(false);
    expect(stripe.syncsSubAccounts({})).toBe(false);
    expect(stripe.syncsSubAccounts({ connect: 'true' })).toBe(false);
    expect(stripe.validateSettings?.({ connect: true }, 'body/settings')).toEqual([]);
    expect(stripe.validateSettings?.({ connect: 'yes' }, 'body/settings')).toEqual([
      { path: 'body/settings/connect', message: 'must be true or false (Stripe Connect platform)' },
    ]);
    expect(chargebee.syncsSubAccounts({ site: 'acme-test', connect: true })).toBe(false);
    expect(
      chargebee.validateSettings?.({ site: 'acme-test', connect: true }, 'body/settings'),
    ).toEqual([
      {
        path: 'body/settings/connect',
        message: 'is for Stripe Connect: a Chargebee site has no sub-accounts',
      },
    ]);
    expect(
      chargebee.validateSettings?.({ site: 'acme-test', connect: false }, 'body/settings'),
    ).toEqual([]);
  });

  it('builds clients through the adapter: Stripe from the key, Chargebee needs settings.site', () => {
    const stripe = createConnectionProvider(
      { provider: 'stripe', apiKey: 'sk_test_registry0001', settings: {} },
      { allowedBaseUrls: [] },
    );
    expect(stripe.name).toBe('stripe');
    const chargebee = providerAdapters.chargebee.createClient({
      apiKey: 'test_key',
      mode: 'test',
      settings: { site: 'acme-test' },
    });
    expect(chargebee).toMatchObject({ name: 'chargebee', site: 'acme-test', mode: 'test' });
    expect(() =>
      providerAdapters.chargebee.createClient({ apiKey: 'test_key', settings: {} }),
    ).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('gives STRIPE_API_BASE_URL to Stripe connections only', () => {
    const settings = { stripeApiBaseUrl: 'http://stripe-proxy.internal:8080' };
    expect(providerAdapters.stripe.configuredApiBaseUrl(settings)).toBe(settings.stripeApiBaseUrl);
    expect(providerAdapters.chargebee.configuredApiBaseUrl(settings)).toBeUndefined();
  });

  it('asks the adapter which account a webhook claims (Stripe Connect only)', () => {
    const body = Buffer.from(JSON.stringify({ account: 'acct_1' }));
    expect(claimedAccountId('stripe', body)).toBe('acct_1');
    expect(claimedAccountId('stripe', Buffer.from('not json'))).toBeNull();
    expect(claimedAccountId('chargebee', body)).toBeNull();
  });

  it('rehydrates stored events: the payload says, else what the event log recorded', () => {
    const stored = {
      id: 'evt_1',
      type: 'customer.updated',
      createdMs: 5_000,
      objectType: 'customer',
      objectId: 'cus_1',
    };
    expect(
      providerAdapters.stripe.rehydrateEvent(
        {
          ...stored,
          payload: { created: 7, livemode: true, account: 'acct_1', api_version: '2026-10-28' },
        },
        { livemode: false },
      ),
    ).toMatchObject({
      createdMs: 7_000,
      livemode: true,
      accountId: 'acct_1',
      apiVersion: '2026-10-28',
    });
    expect(
      providerAdapters.stripe.rehydrateEvent({ ...stored, payload: {} }, { livemode: true }),
    ).toMatchObject({ createdMs: 5_000, livemode: false, accountId: null, objectId: 'cus_1' });
    expect(
      providerAdapters.chargebee.rehydrateEvent(
        {
          ...stored,
          type: 'customer_changed',
          payload: {
            id: 'ev_cb_1',
            event_type: 'customer_changed',
            occurred_at: 9,
            content: { customer: { id: 'cb_cus_1' } },
          },
        },
        { livemode: true },
      ),
    ).toMatchObject({ id: 'ev_cb_1', createdMs: 9_000, livemode: true, objectId: 'cb_cus_1' });
  });
});

/**
 * Services name no provider: whatever depends on the provider is asked of the registry (its
 * adapters and clients). A provider name as a string literal, or a vendor-named import from
 * @paysync/providers, in a service's (or the runtime's) source is a switch the registry should
 * own. Tests and test helpers (`*.spec.ts`, `src/testing/`) may name providers: they make data.
 */
describe('the registry is the only place a provider name is switched on', () => {
  /** Non-vendor uses, by file (relative to the repository root), each with its reason. */
  const ALLOWED: Readonly<Record<string, string>> = {};

  const sourceFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
    });
  const roots = [
    ...readdirSync(join(ROOT, 'services')).map((s) => join(ROOT, 'services', s, 'src')),
    join(ROOT, 'libs/runtime/src'),
  ];
  const files = roots.flatMap((root) => {
    try {
      return sourceFiles(root);
    } catch {
      return [];
    }
  });
  const names = PROVIDERS.join('|');
  const literal = new RegExp(`(['"\`])(${names})\\1`, 'i');
  const vendorImport = new RegExp(
    `import\\s*(?:type\\s*)?\\{([^}]*)\\}\\s*from\\s*'@paysync/providers'`,
    'g',
  );
  const vendorName = new RegExp(`(${names})`, 'i');

  it('scans the services', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith('webhooks.routes.ts'))).toBe(true);
  });

  it('finds no provider-name literal or vendor-named import outside the allowlist', () => {
    const offences: string[] = [];
    for (const file of files) {
      const path = relative(ROOT, file);
      if (ALLOWED[path] !== undefined) continue;
      const text = readFileSync(file, 'utf8');
      text.split('\n').forEach((line, i) => {
        if (literal.test(line)) offences.push(`${path}:${i + 1}: ${line.trim()}`);
      });
      for (const m of text.matchAll(vendorImport)) {
        const vendor = (m[1] ?? '').split(',').filter((n) => vendorName.test(n));
        if (vendor.length > 0)
          offences.push(`${path}: imports ${vendor.map((n) => n.trim()).join(', ')}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('would see a switch on a provider name', () => {
    expect(literal.test("    case 'stripe':")).toBe(true);
    expect(literal.test('provider === "chargebee"')).toBe(true);
    expect(literal.test("'stripe-signature'")).toBe(false);
  });
});

describe('capabilities say what callers must not infer from a name', () => {
  it.each(PROVIDERS)(
    '%s: retrievable types are synced types, and Stripe retrieves all but invoice lines and discounts',
    (name) => {
      const caps = providerAdapters[name].capabilities;
      for (const t of caps.retrievableEntityTypes) expect(caps.entityTypes).toContain(t);
      if (name === 'stripe')
        expect(caps.retrievableEntityTypes).toEqual(caps.entityTypes.filter(stripeRetrievable));
    },
  );

  it('Stripe: every type with its own list segmentable (children of parent lists listed whole), webhooks by API with signing secrets', () => {
    const listedThroughParents = [
      'subscription_item',
      'invoice_line_item',
      'tax_id',
      'discount',
      'payment_method',
    ];
    expect(providerAdapters.stripe.capabilities).toMatchObject({
      segmentableEntityTypes: providerAdapters.stripe.capabilities.entityTypes.filter(
        (t) => !listedThroughParents.includes(t),
      ),
      eventsOrder: 'newest_first',
      webhookSetup: 'api',
      webhookSecretKind: 'signing_secret',
      rateBudget: { test: { requests: 25, perMs: 1000 }, live: { requests: 100, perMs: 1000 } },
    });
  });

  it('Chargebee: items and item prices are listed whole, webhooks pasted with Basic credentials, a per-minute budget', () => {
    const caps = providerAdapters.chargebee.capabilities;
    expect(caps.segmentableEntityTypes).not.toContain('product');
    expect(caps.segmentableEntityTypes).not.toContain('price');
    expect(caps).toMatchObject({
      eventsOrder: 'oldest_first',
      webhookSetup: 'manual',
      webhookSecretKind: 'basic_credentials',
      rateBudget: { test: { requests: 150, perMs: 60_000, burst: 1 } },
    });
    expect(caps.webhookRetryWindowMs).toBeGreaterThanOrEqual((3 * 24 + 7) * 3_600_000);
  });

  it('Chargebee credentials: Basic username:password webhook credentials, key mode by prefix', () => {
    const paths = { apiKey: 'body/apiKey', webhookSecrets: 'body/webhookSecrets' };
    const { validateCredentials, modeOfApiKey } = providerAdapters.chargebee;
    expect(
      validateCredentials(
        { mode: 'test', apiKey: 'test_abcdefgh12', webhookSecrets: ['paysync:0123456789abcdef'] },
        paths,
      ),
    ).toEqual([]);
    expect(
      validateCredentials(
        { mode: 'test', apiKey: 'live_abcdefgh12', webhookSecrets: ['whsec_abc', 'u:short', ':p'] },
        paths,
      ).map((e) => e.path),
    ).toEqual([
      'body/apiKey',
      'body/webhookSecrets/0',
      'body/webhookSecrets/1',
      'body/webhookSecrets/2',
    ]);
    expect(modeOfApiKey('live_abc')).toBe('live');
    expect(modeOfApiKey('abc')).toBeUndefined();
  });
});
