export { buildServiceApp } from './build-service-app.js';
export type { BuildServiceAppOptions, RegisterDependencies } from './build-service-app.js';
export {
  DISPOSE_PRIORITY,
  asKafkaConsumer,
  asWorker,
  infrastructureRegistrations,
  providerRegistrations,
  serviceRegistrations,
} from './infrastructure.js';
export type {
  InfrastructureConfig,
  InfrastructureCradle,
  ProviderCradle,
} from './infrastructure.js';
export { runService } from './run-service.js';
export type { RunServiceOptions } from './run-service.js';
export { createServiceApp } from './service-app.js';
export { serviceConfigSchema } from './service-config.js';
export type { ServiceAppOptions } from './service-app.js';
export { cradleOf } from './service-cradle.js';
export type { DependencyOverrides, ServiceApp } from './service-cradle.js';
export { EncryptionKeyRotation } from './key-rotation.js';
export type { EncryptionKeyRotationDeps, KeyRotationReport } from './key-rotation.js';
