export {
  ALL_TOPICS,
  TOPICS,
  WEBHOOK_BODY_LIMIT_BYTES,
  WEBHOOK_MESSAGE_HEADROOM_BYTES,
  WEBHOOK_MESSAGE_MAX_BYTES,
} from './topics.js';
export type { TopicKey, TopicSpec } from './topics.js';
export { ENTITY_TYPES, PROVIDERS, SYNC_SOURCES } from './canonical.js';
export type {
  CanonicalBalanceTransaction,
  CanonicalChange,
  CanonicalCheckoutSession,
  CanonicalCoupon,
  CanonicalCreditNote,
  CanonicalCustomer,
  CanonicalDiscount,
  CanonicalDispute,
  CanonicalEarlyFraudWarning,
  CanonicalInvoiceLineItem,
  CanonicalPaymentMethod,
  CanonicalPayout,
  CanonicalPromotionCode,
  CanonicalRefund,
  CanonicalReview,
  CanonicalSetupIntent,
  CanonicalSubscriptionItemRow,
  CanonicalSubscriptionSchedule,
  CanonicalTaxId,
  CanonicalInvoice,
  CanonicalPaymentTransaction,
  CanonicalPrice,
  CanonicalProduct,
  CanonicalSubscription,
  CanonicalSubscriptionItem,
  EntityDataMap,
  EntityType,
  Metadata,
  ProviderName,
  SyncSource,
} from './canonical.js';
export {
  FAILURE_HEADERS,
  WEBHOOK_RECEIVED,
  webhookPartitionKey,
  webhookReceivedSchema,
} from './webhook-received.js';
export type { WebhookReceived } from './webhook-received.js';
export {
  SYNC_COMMAND,
  SYNC_COMMAND_KINDS,
  syncCommandPartitionKey,
  syncCommandSchema,
} from './sync-command.js';
export type { SyncCommand, SyncCommandKind } from './sync-command.js';
