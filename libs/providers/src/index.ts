export type {
  BillingProvider,
  ChangeContext,
  ConnectionTestResult,
  ListPage,
  ListPageParams,
  MappedEvent,
  ProviderCapabilities,
  ProviderEvent,
  RateBudget,
  RefetchedEvent,
  StoredEvent,
  WebhookEndpoint,
  EventsPage,
  ListEventsParams,
} from './billing-provider.js';
export type {
  CredentialPaths,
  ProviderAdapter,
  ProviderServiceSettings,
} from './provider-adapter.js';
export {
  providerAdapter,
  providerAdapters,
  registeredAdapter,
  registeredProviders,
  supportedProviders,
} from './registry.js';
export {
  STRIPE_CAPABILITIES,
  isProviderSupported,
  modeOfApiKey,
  providerCatalog,
  validateCredentials,
  configuredBucket,
  configuredRateLimit,
  connectionRateLimit,
} from './catalog.js';
export type {
  BucketRate,
  ConnectionRateLimit,
  CredentialInput,
  ProviderInfo,
  ProviderRateSettings,
} from './catalog.js';
export { BaseUrlAllowlist } from './base-url-allowlist.js';
export {
  createBillingProvider,
  createConnectionProvider,
  createProviderFactory,
} from './create-billing-provider.js';
export type {
  BillingProviderOptions,
  ProviderConnection,
  ProviderFactory,
  ProviderFactorySettings,
} from './create-billing-provider.js';
export { TokenBucket } from './http/token-bucket.js';
export type { RateLimiter } from './http/token-bucket.js';
export { providerConfigSchema } from './providers.config.js';
export {
  mapCharge,
  mapCustomer,
  mapInvoice,
  mapPaymentIntent,
  mapPlan,
  mapPrice,
  mapProduct,
  mapSubscription,
  toChange as stripeObjectToChange,
} from './stripe/stripe.mappers.js';
export {
  STRIPE_API_VERSION,
  STRIPE_SEGMENTABLE_TYPES,
  StripeProvider,
  stripeRetrievable,
} from './stripe/stripe.provider.js';
export type { StripeProviderOptions } from './stripe/stripe.provider.js';
export {
  STRIPE_BREADTH_EVENT_TYPES,
  STRIPE_EVENT_TYPES,
  STRIPE_SIGNATURE_HEADER,
  STRIPE_SYNCED_EVENT_TYPES,
  mapStripeEvent,
  parseStripeEvent,
  signStripePayload,
  verifyStripeWebhook,
} from './stripe/stripe.webhook.js';
export {
  claimedAccountId,
  mapProviderEvent,
  rehydrateProviderEvent,
  verifyProviderWebhook,
} from './webhooks.js';
export { CHARGEBEE_CAPABILITIES, ChargebeeProvider } from './chargebee/chargebee.provider.js';
export type {
  ChargebeeListPageParams,
  ChargebeeProviderOptions,
} from './chargebee/chargebee.provider.js';
export {
  CHARGEBEE_EVENT_TYPES,
  chargebeeEventToProviderEvent,
  mapChargebeeEvent,
  parseChargebeeEvent,
  verifyChargebeeWebhook,
} from './chargebee/chargebee.webhook.js';
