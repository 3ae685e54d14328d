export { ChargebeeSimulator, chargebeeError } from './simulator.js';
export type {
  ChargebeeSeedCounts,
  ChargebeeSimEvent,
  ChargebeeSimulatorOptions,
} from './simulator.js';
export type { ChargebeeResource } from './store.js';
