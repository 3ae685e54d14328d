import { ValidationError } from '@paysync/errors';

import { CHARGEBEE_CAPABILITIES, ChargebeeProvider } from './chargebee.provider.js';
import {
  chargebeeEventToProviderEvent,
  mapChargebeeEvent,
  verifyChargebeeWebhook,
} from './chargebee.webhook.js';

import type { ProviderAdapter } from '../provider-adapter.js';

/**
 * Chargebee in the provider registry. Registered but not yet offered (`supported: false`): a
 * connection needs inputs the API does not take yet (`settings.site`, Basic credential pairs;
 * docs/providers/chargebee.md, "Interface changes needed" 1 and 9), and its e2e suites are to come.
 */
export const chargebeeAdapter: ProviderAdapter = {
  name: 'chargebee',
  supported: false,
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
  // Basic credential pairs and site checks come with the connection inputs (see above).
  validateCredentials: () => [],
  modeOfApiKey: (apiKey) =>
    apiKey.startsWith('live_') ? 'live' : apiKey.startsWith('test_') ? 'test' : undefined,
  configuredRateLimit: () => undefined,
};
