export {
  DISPOSE_PRIORITY,
  asKafkaConsumer,
  infrastructureRegistrations,
} from './infrastructure.js';
export type { InfrastructureCradle } from './infrastructure.js';
export { runService } from './run-service.js';
export type { RunServiceOptions } from './run-service.js';
export { createServiceApp } from './service-app.js';
export type { ServiceAppOptions } from './service-app.js';
