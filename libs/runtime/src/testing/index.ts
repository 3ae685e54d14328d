export { loadTestConfig } from './test-config.js';
export type { TestEnv } from './test-config.js';
