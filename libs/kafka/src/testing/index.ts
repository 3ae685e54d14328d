export { TopicProbe, apiVersions } from './probe.js';
export type { ApiVersionRange } from './probe.js';
export { localKafka } from './local-kafka.js';
export type { LocalKafka } from './local-kafka.js';
