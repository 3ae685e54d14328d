export { describeEnv, envVar, loadConfig, redactConfig, secret } from './env.js';
export type { ConfigOf, EnvDoc, EnvGroup, EnvSchema, EnvVar, GroupValue } from './env.js';
export { httpConfigSchema } from './http.config.js';
export {
  REDACTED,
  redactText,
  redactUrlCredentials,
  secretTokens,
  secretValues,
} from './redact.js';
export {
  addressList,
  bool,
  csv,
  isAddressOrCidr,
  logLevel,
  nonNegativeInt,
  port,
  positiveInt,
  trustedProxies,
  url,
} from './schemas.js';
