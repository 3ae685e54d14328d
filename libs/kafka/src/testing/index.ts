export { TopicProbe, apiVersions } from './probe.js';
export type { ApiVersionRange } from './probe.js';
