export { ChargebeeSimulator, chargebeeError } from './simulator.js';
export type {
  ChargebeeSeedCounts,
  ChargebeeSimEvent,
  ChargebeeSimulatorOptions,
} from './simulator.js';
export { CHARGEBEE_RESOURCES, RESOURCE_PATH } from './store.js';
export type { ChargebeeResource } from './store.js';
