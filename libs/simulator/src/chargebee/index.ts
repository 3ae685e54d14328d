export { ChargebeeSimulator, chargebeeError, simId as chargebeeSimId } from './simulator.js';
export type {
  ChargebeeSeedCounts,
  ChargebeeSimEvent,
  ChargebeeSimulatorOptions,
} from './simulator.js';
export { RESOURCE_PATH as CHARGEBEE_RESOURCE_PATH } from './store.js';
export type { ChargebeeResource } from './store.js';
