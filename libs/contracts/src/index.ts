export { ALL_TOPICS, TOPICS } from './topics.js';
export type { TopicKey, TopicSpec } from './topics.js';
