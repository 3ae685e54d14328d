import type { ProviderName } from '@paysync/contracts';

import {
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
