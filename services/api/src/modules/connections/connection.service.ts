import type { ProviderName } from '@paysync/contracts';
import type { ConnectionRepository, ConnectionView, SyncSessionRepository } from '@paysync/db';
import {
  AppError,
  ConflictError,
  ProviderError,
  ValidationError,
  type FieldError,
} from '@paysync/errors';
import type { Logger } from '@paysync/observability';
import {
  BaseUrlAllowlist,
  isProviderSupported,
  modeOfApiKey,
  validateCredentials,
  type ProviderFactory,
} from '@paysync/providers';

/** Builds the provider adapter for one connection (overridable in tests, STYLE R40). */
export type { ProviderFactory };

export interface ConnectionServiceDeps {
  readonly connectionRepository: ConnectionRepository;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly providerFactory: ProviderFactory;
  readonly logger: Logger;
  /** API_ALLOWED_PROVIDER_BASE_URLS (every service that builds provider clients checks it too). */
  readonly config: { readonly provider: { readonly allowedBaseUrls: readonly string[] } };
}

export interface ConnectionSettings {
  readonly apiBaseUrl?: string;
  readonly rateLimitPerSecond?: number;
}

export interface CreateConnectionBody {
  readonly provider: ProviderName;
  readonly mode?: 'test' | 'live';
  readonly apiKey: string;
  readonly webhookSecret?: string;
  readonly webhookSecrets?: string[];
  readonly accountId?: string;
  readonly settings?: ConnectionSettings;
}

export interface UpdateConnectionBody {
  readonly mode?: 'test' | 'live';
  readonly apiKey?: string;
  /** Replaces every accepted webhook secret. */
  readonly webhookSecrets?: string[];
  /** Adds one secret and keeps the others: how a rotation starts. */
  readonly addWebhookSecret?: string;
  /** Keeps only the newest secret: how a rotation ends. */
  readonly retireOldWebhookSecrets?: boolean;
  readonly settings?: ConnectionSettings;
  readonly isActive?: boolean;
}

export interface ConnectionTestOutcome {
  readonly ok: true;
  readonly accountId: string;
  readonly mode: 'test' | 'live';
  readonly latencyMs: number;
}

/**
 * Provider connections as the management API offers them: validation of secrets and settings,
 * encrypted storage (ConnectionRepository), connection tests and webhook-endpoint registration
 * through the provider adapter.
 */
export class ConnectionService {
  readonly #connections: ConnectionRepository;
  readonly #sessions: SyncSessionRepository;
  readonly #providerFactory: ProviderFactory;
  readonly #allowedBaseUrls: BaseUrlAllowlist;
  readonly #logger: Logger;

  constructor({
    connectionRepository,
    syncSessionRepository,
    providerFactory,
    logger,
    config,
  }: ConnectionServiceDeps) {
    this.#connections = connectionRepository;
    this.#sessions = syncSessionRepository;
    this.#providerFactory = providerFactory;
    this.#allowedBaseUrls = new BaseUrlAllowlist(config.provider.allowedBaseUrls);
    this.#logger = logger.child({ component: 'ConnectionService' });
  }

  async create(workspaceId: string, body: CreateConnectionBody): Promise<ConnectionView> {
    this.#assertSupported(body.provider);
    const mode = body.mode ?? modeOfApiKey(body.provider, body.apiKey) ?? 'test';
    const webhookSecrets = [
      ...(body.webhookSecrets ?? []),
      ...(body.webhookSecret !== undefined ? [body.webhookSecret] : []),
    ];
    this.#assertValid([
      ...validateCredentials(body.provider, { mode, apiKey: body.apiKey, webhookSecrets }),
      ...this.#settingsErrors(body.settings),
      ...liveOverHttp(mode, body.settings, 'body/settings/apiBaseUrl'),
    ]);
    const connection = await this.#connections.create({
      workspaceId,
      provider: body.provider,
      mode,
      apiKey: body.apiKey,
      webhookSecrets,
      settings: { ...body.settings },
      providerAccountId: body.accountId ?? null,
    });
    this.#logger.info(
      { workspaceId, connectionId: connection.id, provider: body.provider, mode },
      'Provider connection created',
    );
    return connection;
  }

  async update(
    workspaceId: string,
    id: string,
    body: UpdateConnectionBody,
  ): Promise<{ connection: ConnectionView; changed: string[] }> {
    const current = await this.#connections.getDecrypted(workspaceId, id);
    const mode = body.mode ?? current.mode;
    const apiKey = body.apiKey ?? current.apiKey;
    let webhookSecrets: string[] | undefined;
    if (body.webhookSecrets !== undefined) webhookSecrets = [...body.webhookSecrets];
    if (body.addWebhookSecret !== undefined) {
      webhookSecrets = [...(webhookSecrets ?? current.webhookSecrets), body.addWebhookSecret];
    }
    if (body.retireOldWebhookSecrets) {
      webhookSecrets = (webhookSecrets ?? [...current.webhookSecrets]).slice(-1);
    }
    const errors = [
      ...validateCredentials(
        current.provider,
        {
          mode,
          apiKey: body.apiKey ?? (body.mode !== undefined ? apiKey : undefined),
          webhookSecrets:
            body.webhookSecrets ??
            (body.addWebhookSecret !== undefined ? [body.addWebhookSecret] : undefined),
        },
        {
          apiKey: body.apiKey !== undefined ? 'body/apiKey' : 'body/mode',
          webhookSecrets:
            body.webhookSecrets !== undefined ? 'body/webhookSecrets' : 'body/addWebhookSecret',
        },
      ),
      ...this.#settingsErrors(body.settings),
      ...liveOverHttp(
        mode,
        body.settings ?? (current.settings as ConnectionSettings),
        body.settings !== undefined ? 'body/settings/apiBaseUrl' : 'body/mode',
      ),
    ].map((e) =>
      e.path.startsWith('body/addWebhookSecret/') ? { ...e, path: 'body/addWebhookSecret' } : e,
    );
    this.#assertValid(errors);
    const connection = await this.#connections.update(workspaceId, id, {
      ...(body.apiKey !== undefined && { apiKey: body.apiKey }),
      ...(webhookSecrets !== undefined && { webhookSecrets }),
      ...(body.settings !== undefined && { settings: { ...body.settings } }),
      ...(body.isActive !== undefined && { isActive: body.isActive }),
      ...(body.mode !== undefined && { mode: body.mode }),
    });
    const changed = Object.keys(body).filter(
      (k) => (body as Record<string, unknown>)[k] !== undefined,
    );
    this.#logger.info({ workspaceId, connectionId: id, changed }, 'Provider connection updated');
    return { connection, changed };
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.#connections.get(workspaceId, id);
    if (await this.#sessions.hasActive(id)) {
      throw new ConflictError(
        'SYNC_SESSION_ACTIVE',
        'The connection has a pending or running sync session; cancel it first',
        { connectionId: id },
      );
    }
    await this.#connections.delete(workspaceId, id);
    this.#logger.info({ workspaceId, connectionId: id }, 'Provider connection deleted');
  }

  /**
   * Calls the provider with the stored key. Success records the provider account id (so Connect
   * webhooks without a connection id in their URL find this workspace) as the connection's
   * verified account id: from then on it shares that account's rate-limit bucket (a claimed
   * `accountId` never does); failure records the provider's message and leaves as a problem.
   */
  async test(workspaceId: string, id: string): Promise<ConnectionTestOutcome> {
    const connection = await this.#connections.getDecrypted(workspaceId, id);
    const started = performance.now();
    try {
      // Inside the try: a stored base URL no longer allowed is a failed test, recorded as such.
      const result = await this.#providerFactory(connection).testConnection();
      const latencyMs = Math.round(performance.now() - started);
      const owner = await this.#connections.providerAccountOwner(
        connection.provider,
        result.accountId,
      );
      if (owner && owner.workspaceId !== workspaceId) {
        await this.#connections.recordTest(id, {
          ok: false,
          error: 'provider account is connected to another workspace',
        });
        throw new ConflictError(
          'CONFLICT',
          'This provider account is already connected to another workspace',
          { accountId: result.accountId },
        );
      }
      await this.#connections.linkProviderAccount(connection, result.accountId);
      await this.#connections.recordTest(id, { ok: true });
      this.#logger.info(
        { workspaceId, connectionId: id, accountId: result.accountId, latencyMs },
        'Provider connection tested',
      );
      return { ok: true, accountId: result.accountId, mode: result.mode, latencyMs };
    } catch (err) {
      if (err instanceof ConflictError) throw err;
      const message = err instanceof AppError ? err.message : 'provider call failed';
      await this.#connections.recordTest(id, { ok: false, error: message });
      this.#logger.info(
        { workspaceId, connectionId: id, code: err instanceof AppError ? err.code : undefined },
        'Provider connection test failed',
      );
      throw err instanceof AppError
        ? err
        : new ProviderError('PROVIDER_ERROR', 'The provider call failed', {
            retryable: false,
            cause: err,
          });
    }
  }

  /** Registers (or finds) the provider webhook endpoint for `url` and stores its secret. */
  async registerWebhookEndpoint(
    workspaceId: string,
    id: string,
    url: string,
  ): Promise<{ endpointId: string; url: string; created: boolean; secretStored: boolean }> {
    const connection = await this.#connections.getDecrypted(workspaceId, id);
    if (connection.mode === 'live' && !url.startsWith('https://')) {
      throw new ValidationError('A live connection needs an https webhook URL', [
        { path: 'body/url', message: 'must be https for a live connection' },
      ]);
    }
    const endpoint = await this.#providerFactory(connection).registerWebhookEndpoint(url);
    await this.#connections.setWebhookEndpoint(workspaceId, id, endpoint.id, endpoint.secret);
    this.#logger.info(
      { workspaceId, connectionId: id, endpointId: endpoint.id, created: endpoint.created },
      'Webhook endpoint registered',
    );
    return {
      endpointId: endpoint.id,
      url: endpoint.url,
      created: endpoint.created,
      secretStored: endpoint.secret !== null,
    };
  }

  #assertSupported(provider: ProviderName): void {
    if (!isProviderSupported(provider)) {
      throw new ValidationError(
        `${provider} is not supported yet`,
        [{ path: 'body/provider', message: 'is not supported yet' }],
        'PROVIDER_NOT_SUPPORTED',
      );
    }
  }

  #settingsErrors(settings: ConnectionSettings | undefined): FieldError[] {
    if (settings?.apiBaseUrl === undefined) return [];
    try {
      origin(settings.apiBaseUrl);
    } catch {
      return [{ path: 'body/settings/apiBaseUrl', message: 'must be an absolute http(s) URL' }];
    }
    return this.#allowedBaseUrls.allows(settings.apiBaseUrl)
      ? []
      : [
          {
            path: 'body/settings/apiBaseUrl',
            message: 'is not an allowed provider base URL (API_ALLOWED_PROVIDER_BASE_URLS)',
          },
        ];
  }

  #assertValid(errors: FieldError[]): void {
    if (errors.length === 0) return;
    const baseUrl = errors.some(
      (e) => e.path === 'body/settings/apiBaseUrl' && e.message !== LIVE_OVER_HTTP,
    );
    throw new ValidationError(
      'Invalid provider connection',
      errors,
      baseUrl && errors.length === 1 ? 'PROVIDER_BASE_URL_NOT_ALLOWED' : 'VALIDATION_FAILED',
    );
  }
}

const LIVE_OVER_HTTP = 'a live connection’s apiBaseUrl must be https';

/**
 * A live key travels only over TLS (issue 15 item 9): an `http` base URL is for the simulator and
 * test keys. The Stripe client refuses it as well wherever it is built; this answers at write time.
 */
function liveOverHttp(
  mode: string,
  settings: ConnectionSettings | undefined,
  path: string,
): FieldError[] {
  const base = settings?.apiBaseUrl;
  if (mode !== 'live' || typeof base !== 'string' || !/^http:/i.test(base.trim())) return [];
  return [{ path, message: LIVE_OVER_HTTP }];
}

function origin(value: string): string {
  const u = new URL(value);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  return u.origin;
}
