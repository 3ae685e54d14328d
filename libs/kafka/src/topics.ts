import type { TopicSpec } from '@paysync/contracts';

/** Topic name as used on the cluster: the catalogue name behind the environment's prefix. */
export function topicName(spec: Pick<TopicSpec, 'name'>, prefix: string): string {
  return prefix ? `${prefix}.${spec.name}` : spec.name;
}
