import type { FieldError } from '@paysync/errors';

import { STRIPE_CAPABILITIES } from './stripe.capabilities.js';
import { StripeProvider } from './stripe.provider.js';
import { mapStripeEvent, verifyStripeWebhook } from './stripe.webhook.js';

import type { ProviderEvent, StoredEvent } from '../billing-provider.js';
import type { CredentialInput } from '../catalog.js';
import type { CredentialPaths, ProviderAdapter } from '../provider-adapter.js';

const STRIPE_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/;
const STRIPE_WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/=_-]{8,}$/;

/** Stripe in the provider registry. */
export const stripeAdapter: ProviderAdapter = {
  name: 'stripe',
  supported: true,
  capabilities: STRIPE_CAPABILITIES,
  createClient: (options) => new StripeProvider(options),
  verifyWebhook: (rawBody, headers, secrets, { toleranceSeconds }) =>
    verifyStripeWebhook(rawBody, headers, secrets, { toleranceSeconds }),
  claimedAccountId(rawBody) {
    try {
      const parsed = JSON.parse(rawBody.toString('utf8')) as { account?: unknown };
      return typeof parsed.account === 'string' ? parsed.account : null;
    } catch {
      return null;
    }
  },
  mapEvent: mapStripeEvent,
  rehydrateEvent: rehydrateStripeEvent,
  validateCredentials: validateStripeCredentials,
  validateSettings(settings, path) {
    return settings.connect === undefined || typeof settings.connect === 'boolean'
      ? []
      : [{ path: `${path}/connect`, message: 'must be true or false (Stripe Connect platform)' }];
  },
  syncsSubAccounts: (settings) => settings.connect === true,
  modeOfApiKey(apiKey) {
    const m = STRIPE_KEY.exec(apiKey);
    return m?.[2] === 'live' ? 'live' : m?.[2] === 'test' ? 'test' : undefined;
  },
  configuredRateLimit: (mode, rates) =>
    mode === 'live' ? rates.stripeRateLimitPerSecondLive : rates.stripeRateLimitPerSecondTest,
  configuredApiBaseUrl: (settings) => settings.stripeApiBaseUrl,
};

/**
 * A stored Stripe event as a ProviderEvent: the payload's `created`, `livemode`, `account` and
 * `api_version` when present, else what the event log recorded.
 */
function rehydrateStripeEvent(stored: StoredEvent): ProviderEvent {
  const payload = (stored.payload ?? {}) as Record<string, unknown>;
  return {
    provider: 'stripe',
    id: stored.id,
    type: stored.type,
    createdMs: typeof payload.created === 'number' ? payload.created * 1000 : stored.createdMs,
    livemode: payload.livemode === true,
    accountId: typeof payload.account === 'string' ? payload.account : null,
    apiVersion: typeof payload.api_version === 'string' ? payload.api_version : null,
    objectType: stored.objectType,
    objectId: stored.objectId,
    payload,
  };
}

/**
 * Checks secrets before they are stored: the shape Stripe issues them in, and that an API key's
 * mode matches the connection's. Returns every problem; never echoes a secret back.
 */
function validateStripeCredentials(input: CredentialInput, paths: CredentialPaths): FieldError[] {
  const errors: FieldError[] = [];
  if (input.apiKey !== undefined) {
    const m = STRIPE_KEY.exec(input.apiKey);
    if (!m) {
      errors.push({ path: paths.apiKey, message: stripeKeyProblem(input.apiKey) });
    } else if (input.mode !== undefined && m[2] !== input.mode) {
      errors.push({
        path: paths.apiKey,
        message: `is a ${m[2] ?? ''} mode key but the connection mode is ${input.mode}`,
      });
    }
  }
  (input.webhookSecrets ?? []).forEach((secret, i) => {
    if (!STRIPE_WEBHOOK_SECRET.test(secret)) {
      errors.push({
        path: `${paths.webhookSecrets}/${i}`,
        message: 'must be a Stripe webhook signing secret (whsec_…, no whitespace)',
      });
    }
  });
  return errors;
}

/**
 * What is wrong with a string that is not a Stripe secret or restricted key, precisely enough to
 * fix it, without echoing the key.
 */
function stripeKeyProblem(apiKey: string): string {
  const prefix = /^(sk|rk)_(test|live)_/.exec(apiKey)?.[0];
  if (!prefix) {
    return 'must be a Stripe secret or restricted key: it starts with sk_test_, sk_live_, rk_test_ or rk_live_';
  }
  const body = apiKey.slice(prefix.length);
  if (/[^A-Za-z0-9]/.test(body)) {
    return `must continue after ${prefix} with letters and digits only (Stripe keys have no _, -, spaces or other characters there)`;
  }
  return `must continue after ${prefix} with at least 8 letters or digits (this one has ${body.length})`;
}
