import { ValidationError, type FieldError } from '@paysync/errors';

import { CHARGEBEE_CAPABILITIES, ChargebeeProvider } from './chargebee.provider.js';
import {
  chargebeeEventToProviderEvent,
  mapChargebeeEvent,
  verifyChargebeeWebhook,
} from './chargebee.webhook.js';

import type { ProviderAdapter } from '../provider-adapter.js';

/** A Chargebee site name: the first label of `<site>.chargebee.com`. */
const SITE = /^[a-z0-9][a-z0-9-]{0,62}$/i;

/**
 * Chargebee in the provider registry, offered to workspaces: a connection takes `settings.site`
 * and the API key, and its webhook secrets are HTTP Basic `username:password` credentials
 * (docs/providers/chargebee.md).
 */
export const chargebeeAdapter: ProviderAdapter = {
  name: 'chargebee',
  supported: true,
  capabilities: CHARGEBEE_CAPABILITIES,
  createClient(options) {
    const site = options.settings?.site;
    if (typeof site !== 'string' || site.length === 0) {
      throw new ValidationError('A Chargebee connection needs its site (settings.site)', [
        { path: 'settings/site', message: 'is required for Chargebee' },
      ]);
    }
    return new ChargebeeProvider({ ...options, site });
  },
  verifyWebhook: (rawBody, headers, secrets, { livemode }) =>
    verifyChargebeeWebhook(rawBody, headers, secrets, { livemode }),
  // Chargebee events name no site: the connection is the one in the webhook URL.
  claimedAccountId: () => null,
  mapEvent: mapChargebeeEvent,
  rehydrateEvent: (stored, { livemode }) =>
    chargebeeEventToProviderEvent(stored.payload, { livemode }) ?? {
      provider: 'chargebee',
      id: stored.id,
      type: stored.type,
      createdMs: stored.createdMs,
      livemode,
      accountId: null,
      apiVersion: null,
      objectType: stored.objectType,
      objectId: stored.objectId,
      payload: stored.payload,
    },
  validateCredentials(input, paths) {
    const errors: FieldError[] = [];
    if (input.apiKey !== undefined) {
      const keyMode = modeOfKey(input.apiKey);
      if (input.apiKey.length < 8 || /\s/.test(input.apiKey)) {
        errors.push({
          path: paths.apiKey,
          message: 'must be a Chargebee API key (at least 8 characters, no whitespace)',
        });
      } else if (keyMode !== undefined && input.mode !== undefined && keyMode !== input.mode) {
        errors.push({
          path: paths.apiKey,
          message: `is a ${keyMode} site key but the connection mode is ${input.mode}`,
        });
      }
    }
    // Chargebee signs nothing: a webhook secret is the endpoint's HTTP Basic credential.
    (input.webhookSecrets ?? []).forEach((credential, i) => {
      const at = credential.indexOf(':');
      const password = at < 0 ? '' : credential.slice(at + 1);
      if (at < 1 || password.length < 16 || /\s/.test(credential)) {
        errors.push({
          path: `${paths.webhookSecrets}/${i}`,
          message:
            'must be HTTP Basic credentials username:password (no whitespace, a password of at least 16 characters)',
        });
      }
    });
    return errors;
  },
  validateSettings(settings, path) {
    const errors: FieldError[] =
      settings.connect === true
        ? [
            {
              path: `${path}/connect`,
              message: 'is for Stripe Connect: a Chargebee site has no sub-accounts',
            },
          ]
        : [];
    const site = settings.site;
    if (site === undefined)
      return [...errors, { path: `${path}/site`, message: 'is required for Chargebee' }];
    if (typeof site !== 'string' || !SITE.test(site)) {
      errors.push({
        path: `${path}/site`,
        message: 'must be the Chargebee site name (acme-test for acme-test.chargebee.com)',
      });
    }
    return errors;
  },
  // One site per connection: Chargebee has no sub-accounts to list.
  syncsSubAccounts: () => false,
  modeOfApiKey: (apiKey) => modeOfKey(apiKey),
  // CHARGEBEE_RATE_LIMIT_PER_MINUTE_*: Chargebee budgets per minute; the bucket refills per second.
  configuredRateLimit(mode, rates) {
    const perMinute =
      mode === 'live'
        ? rates.chargebeeRateLimitPerMinuteLive
        : rates.chargebeeRateLimitPerMinuteTest;
    return perMinute === undefined ? undefined : perMinute / 60;
  },
  // STRIPE_API_BASE_URL is Stripe's: a Chargebee connection calls its site unless it names a URL.
  configuredApiBaseUrl: () => undefined,
};

/** Chargebee keys say their mode only by an optional `live_`/`test_` prefix. */
function modeOfKey(apiKey: string): 'test' | 'live' | undefined {
  return apiKey.startsWith('live_') ? 'live' : apiKey.startsWith('test_') ? 'test' : undefined;
}
