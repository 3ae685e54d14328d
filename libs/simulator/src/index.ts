export { parseBracketParams } from './form.js';
export { StripeSimulator, prng } from './simulator.js';
export type { Faults, SeedCounts, SimEvent, SimulatorOptions } from './simulator.js';
export { BASE_CREATED, COLLECTIONS, collectionsOf, simId, simIndex } from './store.js';
export type { CollectionName, SimObject } from './store.js';
export { WebhookSender, stripeSignatureHeader } from './webhook-sender.js';
export type { DeliveryOptions, DeliveryResult, DeliveryStats } from './webhook-sender.js';
export { loadEvent, runLoad } from './load.js';
export type { LoadOptions, LoadReport } from './load.js';
export {
  CHARGEBEE_RESOURCE_PATH,
  ChargebeeSimulator,
  chargebeeError,
  chargebeeSimId,
} from './chargebee/index.js';
export type {
  ChargebeeResource,
  ChargebeeSeedCounts,
  ChargebeeSimEvent,
  ChargebeeSimulatorOptions,
} from './chargebee/index.js';
