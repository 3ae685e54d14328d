import { ValidationError } from '@paysync/errors';

import { StripeProvider } from './stripe.provider.js';

// Issue 15 item 9: a live key is never sent over plain http, whichever service builds the client.

describe('StripeProvider base URL', () => {
  it('refuses an http base URL for a live key (secret or restricted)', () => {
    for (const apiKey of ['sk_live_abcdefgh12345', 'rk_live_abcdefgh12345']) {
      expect(
        () => new StripeProvider({ apiKey, apiBaseUrl: 'http://stripe-proxy.internal' }),
      ).toThrow(ValidationError);
    }
  });

  it('accepts https for a live key, and http for a test key (the simulator)', () => {
    expect(
      () =>
        new StripeProvider({
          apiKey: 'sk_live_abcdefgh12345',
          apiBaseUrl: 'https://stripe-proxy.internal',
        }),
    ).not.toThrow();
    expect(() => new StripeProvider({ apiKey: 'sk_live_abcdefgh12345' })).not.toThrow();
    expect(
      () =>
        new StripeProvider({ apiKey: 'sk_test_abcdefgh12345', apiBaseUrl: 'http://127.0.0.1:1' }),
    ).not.toThrow();
  });
});
