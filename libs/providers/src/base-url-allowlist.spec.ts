import { ValidationError } from '@paysync/errors';

import { BaseUrlAllowlist, baseUrlAllowlistSchema } from './base-url-allowlist.js';
import { connectionRateLimit } from './catalog.js';
import { createProviderFactory } from './create-billing-provider.js';

const connection = (apiBaseUrl?: unknown) => ({
  id: '6f1c2a9e-0000-4000-8000-000000000001',
  provider: 'stripe' as const,
  apiKey: 'sk_test_allowlist0000000001',
  settings: apiBaseUrl === undefined ? {} : { apiBaseUrl },
});

describe('BaseUrlAllowlist', () => {
  it('allows listed origins (any path), nothing else', () => {
    const list = new BaseUrlAllowlist(['https://proxy.internal:8443', 'http://127.0.0.1:12111/']);
    expect(list.allows('https://proxy.internal:8443/v1')).toBe(true);
    expect(list.allows('http://127.0.0.1:12111')).toBe(true);
    expect(list.allows('http://127.0.0.1:12112')).toBe(false);
    expect(list.allows('http://proxy.internal:8443')).toBe(false);
    expect(list.allows('https://api.stripe.com')).toBe(false);
    expect(list.allows('not a url')).toBe(false);
    expect(list.allows('ftp://proxy.internal:8443')).toBe(false);
  });

  it('host:* allows every port of that host and scheme only', () => {
    const list = new BaseUrlAllowlist(['http://127.0.0.1:*', 'https://[::1]:*']);
    expect(list.allows('http://127.0.0.1:4242')).toBe(true);
    expect(list.allows('http://127.0.0.1')).toBe(true);
    expect(list.allows('https://127.0.0.1:4242')).toBe(false);
    expect(list.allows('http://localhost:4242')).toBe(false);
    expect(list.allows('https://[::1]:9')).toBe(true);
  });

  it('refuses entries that are not origins (and the config schema names them at start-up)', () => {
    for (const bad of ['127.0.0.1:80', 'ftp://x', 'http://user:pw@proxy', 'http://*:80', '*']) {
      expect(() => new BaseUrlAllowlist([bad])).toThrow(/not an http\(s\) origin/);
    }
    expect(baseUrlAllowlistSchema().parse(undefined)).toEqual([]);
    expect(baseUrlAllowlistSchema().parse('http://a:1, http://b:*')).toEqual([
      'http://a:1',
      'http://b:*',
    ]);
    expect(baseUrlAllowlistSchema().safeParse('http://a:1,ftp://b').success).toBe(false);
  });
});

describe('createProviderFactory: the allowlist where the client is built (issue 15 item 9)', () => {
  const factory = createProviderFactory({
    stripeMaxAttempts: 1,
    allowedBaseUrls: ['http://127.0.0.1:12111'],
  });

  it('builds a client for a listed base URL, and for none (the provider’s own API)', () => {
    expect(factory(connection('http://127.0.0.1:12111')).name).toBe('stripe');
    expect(factory(connection()).name).toBe('stripe');
  });

  it('refuses a stored base URL that is not listed, naming its origin only', () => {
    let thrown: unknown;
    try {
      factory(connection('http://user:hunter2@evil.example:8080/v1?token=abc'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    const err = thrown as ValidationError;
    expect(err.code).toBe('PROVIDER_BASE_URL_NOT_ALLOWED');
    expect(err.message).toBe(
      "Connection 6f1c2a9e-0000-4000-8000-000000000001 has settings.apiBaseUrl http://evil.example:8080, which is not in API_ALLOWED_PROVIDER_BASE_URLS of this service: it is not called (list the origin, or change the connection's apiBaseUrl)",
    );
    expect(err.message).not.toMatch(/hunter2|token=abc|user/);
    expect(err.errors).toEqual([
      {
        path: 'settings.apiBaseUrl',
        message: 'is not an allowed provider base URL (API_ALLOWED_PROVIDER_BASE_URLS)',
      },
    ]);
  });

  it('an empty list allows no override at all', () => {
    const none = createProviderFactory({ stripeMaxAttempts: 1, allowedBaseUrls: [] });
    expect(() => none(connection('http://127.0.0.1:12111'))).toThrow(
      expect.objectContaining({ code: 'PROVIDER_BASE_URL_NOT_ALLOWED' }),
    );
    expect(none(connection()).name).toBe('stripe');
  });
});

describe('connectionRateLimit (issue 15 item 4)', () => {
  const base = {
    id: 'c0ffee00-0000-4000-8000-000000000002',
    provider: 'stripe' as const,
    mode: 'test' as const,
    verifiedProviderAccountId: null as string | null,
    settings: {} as Record<string, unknown>,
  };

  it('an unverified connection has a bucket of its own, whatever account it claims', () => {
    expect(connectionRateLimit({ ...base, settings: { accountId: 'acct_victim' } })).toEqual({
      key: 'stripe:connection:c0ffee00-0000-4000-8000-000000000002:test',
      ratePerSecond: 25,
    });
  });

  it('a verified account is shared, at the server’s rate for the mode', () => {
    const verified = { ...base, verifiedProviderAccountId: 'acct_1' };
    expect(connectionRateLimit(verified)).toEqual({ key: 'stripe:acct_1:test', ratePerSecond: 25 });
    expect(connectionRateLimit({ ...verified, mode: 'live' })).toEqual({
      key: 'stripe:acct_1:live',
      ratePerSecond: 100,
    });
    expect(
      connectionRateLimit(verified, {
        stripeRateLimitPerSecondTest: 7,
        stripeRateLimitPerSecondLive: 70,
      }).ratePerSecond,
    ).toBe(7);
  });

  it('settings.rateLimitPerSecond only adds a lower cap in a bucket of its own, never raises', () => {
    const verified = { ...base, verifiedProviderAccountId: 'acct_1' };
    expect(connectionRateLimit({ ...verified, settings: { rateLimitPerSecond: 5 } })).toEqual({
      key: 'stripe:acct_1:test',
      ratePerSecond: 25,
      connectionCap: {
        key: 'stripe:connection:c0ffee00-0000-4000-8000-000000000002:test:cap:5',
        ratePerSecond: 5,
      },
    });
    for (const rateLimitPerSecond of [25, 1000, 0, -1, '3', Number.NaN]) {
      expect(connectionRateLimit({ ...verified, settings: { rateLimitPerSecond } })).toEqual({
        key: 'stripe:acct_1:test',
        ratePerSecond: 25,
      });
    }
  });
});
