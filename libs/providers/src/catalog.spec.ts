import type { ProviderName } from '@paysync/contracts';

import {
  configuredBucket,
  connectionRateLimit,
  isProviderSupported,
  modeOfApiKey,
  providerCatalog,
  validateCredentials,
} from './catalog.js';

describe('provider catalog', () => {
  // Chargebee is offered now (issue 17, "turn it on"): it was listed as known only before.
  it('lists Stripe and Chargebee as supported with their capabilities', () => {
    expect(providerCatalog().map((p) => [p.name, p.supported])).toEqual([
      ['stripe', true],
      ['chargebee', true],
    ]);
    expect(providerCatalog()[1]?.capabilities).toMatchObject({ webhookSetup: 'manual' });
    expect(isProviderSupported('stripe')).toBe(true);
    expect(isProviderSupported('chargebee')).toBe(true);
    expect(isProviderSupported('paddle' as ProviderName)).toBe(false);
  });
});

describe('validateCredentials (Stripe)', () => {
  it('accepts secret and restricted keys of the connection mode and whsec_ secrets', () => {
    expect(
      validateCredentials('stripe', {
        mode: 'test',
        apiKey: 'sk_test_51Habcdefgh',
        webhookSecrets: ['whsec_abcdefgh123'],
      }),
    ).toEqual([]);
    expect(validateCredentials('stripe', { mode: 'live', apiKey: 'rk_live_abcdefgh12' })).toEqual(
      [],
    );
  });

  it.each([
    ['pk_test_abcdefgh12', 'test'],
    ['sk_test_short', 'test'],
    ['sk_live_abcdefgh12', 'test'],
    ['sk_test_abcd efgh12', 'test'],
  ] as const)('rejects api key %s in %s mode without echoing it', (apiKey, mode) => {
    const errors = validateCredentials('stripe', { mode, apiKey });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('body/apiKey');
    expect(errors[0]?.message).not.toContain(apiKey);
  });

  it.each([
    ['pk_test_abcdefgh12', /starts with sk_test_, sk_live_, rk_test_ or rk_live_/],
    ['sk_test_acme_0001', /after sk_test_ with letters and digits only/],
    ['rk_live_abc', /after rk_live_ with at least 8 letters or digits \(this one has 3\)/],
  ] as const)('says what is wrong with %s', (apiKey, message) => {
    const [error] = validateCredentials('stripe', {
      mode: apiKey.includes('live') ? 'live' : 'test',
      apiKey,
    });
    expect(error?.message).toMatch(message);
  });

  it('names each bad webhook secret by index', () => {
    const errors = validateCredentials('stripe', {
      webhookSecrets: ['whsec_abcdefgh123', 'whsec_has space', 'secret'],
    });
    expect(errors.map((e) => e.path)).toEqual(['body/webhookSecrets/1', 'body/webhookSecrets/2']);
  });

  it('knows the mode of a key', () => {
    expect(modeOfApiKey('stripe', 'sk_live_abcdefgh12')).toBe('live');
    expect(modeOfApiKey('stripe', 'rk_test_abcdefgh12')).toBe('test');
    expect(modeOfApiKey('stripe', 'nope')).toBeUndefined();
  });
});

describe('per-minute budgets reach the shared bucket (Chargebee: 150 per 60,000 ms, burst 1)', () => {
  const site = {
    id: 'c0ffee00-0000-4000-8000-0000000000cb',
    provider: 'chargebee' as const,
    mode: 'test' as const,
    verifiedProviderAccountId: 'acme-test' as string | null,
    settings: {} as Record<string, unknown>,
  };

  // Burst 1 plus 149 per 60 s: no sliding minute ever holds more than 150.
  const CB = 149 / 60;

  it('a tested site shares one bucket per site and mode: 149/min refill, burst 1', () => {
    expect(configuredBucket('chargebee', 'test')).toEqual({ ratePerSecond: CB, burst: 1 });
    expect(connectionRateLimit(site)).toEqual({
      key: 'chargebee:acme-test:test',
      ratePerSecond: CB,
      burst: 1,
    });
    // Not yet tested: the connection's own bucket, at the same pace.
    expect(connectionRateLimit({ ...site, verifiedProviderAccountId: null })).toEqual({
      key: `chargebee:connection:${site.id}:test`,
      ratePerSecond: CB,
      burst: 1,
    });
  });

  it('CHARGEBEE_RATE_LIMIT_PER_MINUTE_* set the rate per mode, still without a burst', () => {
    const rates = { chargebeeRateLimitPerMinuteTest: 300, chargebeeRateLimitPerMinuteLive: 1000 };
    expect(connectionRateLimit(site, rates)).toMatchObject({ ratePerSecond: 299 / 60, burst: 1 });
    expect(connectionRateLimit({ ...site, mode: 'live' }, rates)).toMatchObject({
      key: 'chargebee:acme-test:live',
      burst: 1,
    });
    // 999 per minute (floating point: 1000/60 × 60 is not exactly 1000).
    expect(connectionRateLimit({ ...site, mode: 'live' }, rates).ratePerSecond * 60).toBeCloseTo(
      999,
      9,
    );
    // Stripe's settings are Stripe's.
    expect(connectionRateLimit(site, { stripeRateLimitPerSecondTest: 7 }).ratePerSecond).toBe(CB);
  });

  it('a connection cap only lowers it', () => {
    expect(connectionRateLimit({ ...site, settings: { rateLimitPerSecond: 1 } })).toEqual({
      key: 'chargebee:acme-test:test',
      ratePerSecond: CB,
      burst: 1,
      connectionCap: { key: `chargebee:connection:${site.id}:test:cap:1`, ratePerSecond: 1 },
    });
    expect(connectionRateLimit({ ...site, settings: { rateLimitPerSecond: 5 } })).toEqual({
      key: 'chargebee:acme-test:test',
      ratePerSecond: CB,
      burst: 1,
    });
  });

  it('per-second budgets keep their bucket as before: no burst given (a second’s worth)', () => {
    expect(configuredBucket('stripe', 'test')).toEqual({ ratePerSecond: 25, burst: undefined });
    expect(
      connectionRateLimit({ ...site, provider: 'stripe', verifiedProviderAccountId: 'acct_1' }),
    ).toStrictEqual({ key: 'stripe:acct_1:test', ratePerSecond: 25 });
  });
});
