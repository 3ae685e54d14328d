export { activeKeyRing, cryptoConfigSchema } from './crypto.config.js';
export { KeyRing } from './key-ring.js';
export type { KeyRingOptions } from './key-ring.js';
export { constantTimeEqual, generateToken, hashToken, secretHint } from './secrets.js';
