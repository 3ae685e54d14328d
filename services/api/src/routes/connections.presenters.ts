import type { ConnectionView } from '@paysync/db';

/** A connection as the API shows it: never a secret, only a hint of the key and a count. */
export function presentConnection(c: ConnectionView) {
  return {
    id: c.id,
    workspaceId: c.workspaceId,
    provider: c.provider,
    mode: c.mode,
    apiKeyHint: c.apiKeyHint,
    webhookSecretCount: c.webhookSecretCount,
    settings: c.settings,
    isActive: c.isActive,
    accountId: c.providerAccountId,
    accountVerified: c.verifiedProviderAccountId !== null,
    webhookEndpointId: c.webhookEndpointId,
    webhookPath: `/webhooks/${c.provider}/${c.id}`,
    health: {
      lastTestAt: c.lastTestAt?.toISOString() ?? null,
      lastTestOk: c.lastTestOk,
      lastTestError: c.lastTestError,
    },
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
