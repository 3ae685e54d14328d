import { z } from 'zod';

import { ENTITY_TYPES, PROVIDERS } from './canonical.js';

/** Envelope `type` of a message on the `syncCommand` topic. */
export const SYNC_COMMAND = 'sync.command';

export const SYNC_COMMAND_KINDS = ['start', 'resume', 'restart', 'cancel'] as const;
export type SyncCommandKind = (typeof SYNC_COMMAND_KINDS)[number];

/**
 * Payload of `billing.sync.command.v1`: what the sync-runner is asked to do with a session. The
 * session row (created by the api service before the command is published) is the source of
 * truth; the command only wakes a runner up, so a duplicate command is harmless.
 */
export const syncCommandSchema = z.object({
  kind: z.enum(SYNC_COMMAND_KINDS),
  sessionId: z.uuid(),
  workspaceId: z.uuid(),
  configurationId: z.uuid(),
  provider: z.enum(PROVIDERS),
  entityTypes: z.array(z.enum(ENTITY_TYPES)).min(1),
  /** Who asked (`admin`, `api_key:<id>`, `recovery`), for the session's audit trail. */
  requestedBy: z.string().min(1),
});

export type SyncCommand = z.infer<typeof syncCommandSchema>;

/** Partition key: one connection's commands stay in order. */
export function syncCommandPartitionKey(command: Pick<SyncCommand, 'configurationId'>): string {
  return command.configurationId;
}
