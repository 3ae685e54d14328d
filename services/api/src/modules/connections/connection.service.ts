import type { ProviderName } from '@paysync/contracts';
import type {
  ConnectionRepository,
  ConnectionView,
  RateLimiterFactory,
  SyncSessionRepository,
} from '@paysync/db';
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
  registeredAdapter,
  validateCredentials,
  type ProviderFactory,
} from '@paysync/providers';

/** Builds the provider adapter for one connection (overridable in tests, STYLE R40). */
export type { ProviderFactory };

export interface ConnectionServiceDeps {
  readonly connectionRepository: ConnectionRepository;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly providerFactory: ProviderFactory;
  /** The provider account's shared bucket (the sync-runner's): every call takes its token there. */
  readonly rateLimiterFactory: RateLimiterFactory;
  readonly logger: Logger;
  /** API_ALLOWED_PROVIDER_BASE_URLS (every service that builds provider clients checks it too). */
  readonly config: { readonly provider: { readonly allowedBaseUrls: readonly string[] } };
}

export interface ConnectionSettings {
  readonly apiBaseUrl?: string;
  readonly rateLimitPerSecond?: number;
  /** The provider's name for the account where the API needs it (a Chargebee site). */
  readonly site?: string;
  /** Also sync the accounts under this one (Stripe Connect); the adapter says where it applies. */
  readonly connect?: boolean;
}

/** HTTP Basic credentials a provider sends its webhooks with (stored as `username:password`). */
interface WebhookCredential {
  readonly username: string;
  readonly password: string;
}

export interface CreateConnectionBody {
  readonly provider: ProviderName;
  readonly mode?: 'test' | 'live';
  readonly apiKey: string;
  readonly webhookSecret?: string;
  readonly webhookSecrets?: string[];
  /** Basic credentials, for providers whose webhook secrets are those (capabilities). */
  readonly webhookCredentials?: WebhookCredential[];
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
  /** Replaces every accepted webhook credential (Basic-credential providers). */
  readonly webhookCredentials?: WebhookCredential[];
  /** Adds one Basic credential and keeps the others: how a rotation starts. */
  readonly addWebhookCredential?: WebhookCredential;
  /** Keeps only the newest secret: how a rotation ends. */
  readonly retireOldWebhookSecrets?: boolean;
  readonly settings?: ConnectionSettings;
  readonly isActive?: boolean;
}

/** What registering a webhook endpoint answers (credentials only once, never readable after). */
export interface WebhookEndpointOutcome {
  readonly endpointId: string;
  readonly url: string;
  readonly created: boolean;
  readonly secretStored: boolean;
  /** `api`: the provider registered it; `manual`: paste `url` and `credentials` at the provider. */
  readonly setup: 'api' | 'manual';
  /** The generated Basic credentials of a manual setup, answered this once; else null. */
  readonly credentials: WebhookCredential | null;
  /** For a manual setup: where at the provider to paste them. */
  readonly instructions: string | null;
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
  readonly #rateLimiterFactory: RateLimiterFactory;
  readonly #allowedBaseUrls: BaseUrlAllowlist;
  readonly #logger: Logger;

  constructor({
    connectionRepository,
    syncSessionRepository,
    providerFactory,
    rateLimiterFactory,
    logger,
    config,
  }: ConnectionServiceDeps) {
    this.#connections = connectionRepository;
    this.#sessions = syncSessionRepository;
    this.#providerFactory = providerFactory;
    this.#rateLimiterFactory = rateLimiterFactory;
    this.#allowedBaseUrls = new BaseUrlAllowlist(config.provider.allowedBaseUrls);
    this.#logger = logger.child({ component: 'ConnectionService' });
  }

  async create(workspaceId: string, body: CreateConnectionBody): Promise<ConnectionView> {
    this.#assertSupported(body.provider);
    const mode = body.mode ?? modeOfApiKey(body.provider, body.apiKey) ?? 'test';
    const kindErrors = credentialKindErrors(
      body.provider,
      body.webhookCredentials,
      'body/webhookCredentials',
    );
    const webhookSecrets = [
      ...(body.webhookSecrets ?? []),
      ...(body.webhookSecret !== undefined ? [body.webhookSecret] : []),
      // Checked as secrets only when the provider takes Basic credentials at all.
      ...(kindErrors.length === 0 ? (body.webhookCredentials ?? []).map(basicSecret) : []),
    ];
    this.#assertValid([
      ...kindErrors,
      ...validateCredentials(body.provider, { mode, apiKey: body.apiKey, webhookSecrets }),
      ...providerSettingsErrors(body.provider, body.settings ?? {}, 'body/settings'),
      ...this.#settingsErrors(body.settings),
      ...liveOverHttp(mode, body.settings, 'body/settings/apiBaseUrl'),
    ]);
    await this.#assertSoleActive(workspaceId, body.provider, null);
    const connection = await this.#connections.create({
      workspaceId,
      provider: body.provider,
      mode,
      apiKey: body.apiKey,
      webhookSecrets,
      settings: { ...body.settings },
      providerAccountId: body.accountId ?? null,
    });
    // Checked again once written: of two concurrent creates, at least the later one sees the other.
    await this.#assertSoleActive(workspaceId, body.provider, connection.id, () =>
      this.#connections.delete(workspaceId, connection.id),
    );
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
    // Basic credentials are webhook secrets written `username:password`.
    const replaced = body.webhookSecrets ?? body.webhookCredentials?.map(basicSecret) ?? undefined;
    const added =
      body.addWebhookSecret ??
      (body.addWebhookCredential !== undefined
        ? basicSecret(body.addWebhookCredential)
        : undefined);
    let webhookSecrets: string[] | undefined;
    if (replaced !== undefined) webhookSecrets = [...replaced];
    if (added !== undefined) {
      webhookSecrets = [...(webhookSecrets ?? current.webhookSecrets), added];
    }
    if (body.retireOldWebhookSecrets) {
      webhookSecrets = (webhookSecrets ?? [...current.webhookSecrets]).slice(-1);
    }
    const secretsPath =
      body.webhookSecrets !== undefined
        ? 'body/webhookSecrets'
        : body.webhookCredentials !== undefined
          ? 'body/webhookCredentials'
          : body.addWebhookCredential !== undefined
            ? 'body/addWebhookCredential'
            : 'body/addWebhookSecret';
    const kindErrors = credentialKindErrors(
      current.provider,
      body.webhookCredentials ??
        (body.addWebhookCredential !== undefined ? [body.addWebhookCredential] : undefined),
      body.webhookCredentials !== undefined
        ? 'body/webhookCredentials'
        : 'body/addWebhookCredential',
    );
    const errors = [
      ...kindErrors,
      ...validateCredentials(
        current.provider,
        {
          mode,
          apiKey: body.apiKey ?? (body.mode !== undefined ? apiKey : undefined),
          // Credentials the provider does not take at all are not checked as secrets too.
          webhookSecrets:
            kindErrors.length > 0
              ? undefined
              : (replaced ?? (added !== undefined ? [added] : undefined)),
        },
        {
          apiKey: body.apiKey !== undefined ? 'body/apiKey' : 'body/mode',
          webhookSecrets: secretsPath,
        },
      ),
      ...(body.settings !== undefined
        ? providerSettingsErrors(current.provider, body.settings, 'body/settings')
        : []),
      ...this.#settingsErrors(body.settings),
      ...liveOverHttp(
        mode,
        body.settings ?? (current.settings as ConnectionSettings),
        body.settings !== undefined ? 'body/settings/apiBaseUrl' : 'body/mode',
      ),
      // One added secret or credential: no index in its path.
    ].map((e) => ({
      ...e,
      path: e.path.replace(/^(body\/addWebhook(?:Secret|Credential))\/\d+/, '$1'),
    }));
    this.#assertValid(errors);
    const activating = body.isActive === true && !current.isActive;
    if (activating) await this.#assertSoleActive(workspaceId, current.provider, id);
    const connection = await this.#connections.update(workspaceId, id, {
      ...(body.apiKey !== undefined && { apiKey: body.apiKey }),
      ...(webhookSecrets !== undefined && { webhookSecrets }),
      ...(body.settings !== undefined && { settings: { ...body.settings } }),
      ...(body.isActive !== undefined && { isActive: body.isActive }),
      ...(body.mode !== undefined && { mode: body.mode }),
    });
    if (activating) {
      await this.#assertSoleActive(workspaceId, current.provider, id, async () => {
        await this.#connections.update(workspaceId, id, { isActive: false });
      });
    }
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
      const result = await this.#providerFactory(
        connection,
        this.#rateLimiterFactory(connection),
      ).testConnection();
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

  /**
   * Registers (or finds) the provider webhook endpoint for `url` and stores its secret, as the
   * provider's capabilities say: `api` — the provider creates the endpoint and returns a signing
   * secret, which is stored and never answered; `manual` — the provider has no API for it, so the
   * adapter generates Basic credentials, which are stored (encrypted, beside any others: a
   * rotation) and answered this once with the URL and where to paste them. A second call for the
   * same URL of a manual setup answers no new credentials (rotate with `addWebhookCredential`).
   */
  async registerWebhookEndpoint(
    workspaceId: string,
    id: string,
    url: string,
  ): Promise<WebhookEndpointOutcome> {
    const connection = await this.#connections.getDecrypted(workspaceId, id);
    if (connection.mode === 'live' && !url.startsWith('https://')) {
      throw new ValidationError('A live connection needs an https webhook URL', [
        { path: 'body/url', message: 'must be https for a live connection' },
      ]);
    }
    const provider = this.#providerFactory(connection, this.#rateLimiterFactory(connection));
    const capabilities = provider.capabilities();
    const endpoint = await provider.registerWebhookEndpoint(url);
    const manual = capabilities.webhookSetup === 'manual';
    // A manual endpoint already set up for this URL keeps its credentials.
    const secret = manual && connection.webhookEndpointId === endpoint.id ? null : endpoint.secret;
    await this.#connections.setWebhookEndpoint(workspaceId, id, endpoint.id, secret);
    this.#logger.info(
      {
        workspaceId,
        connectionId: id,
        endpointId: endpoint.id,
        created: endpoint.created,
        setup: capabilities.webhookSetup,
      },
      'Webhook endpoint registered',
    );
    return {
      endpointId: endpoint.id,
      url: endpoint.url,
      created: endpoint.created,
      secretStored: secret !== null,
      setup: capabilities.webhookSetup,
      credentials:
        manual && secret !== null && capabilities.webhookSecretKind === 'basic_credentials'
          ? splitBasicSecret(secret)
          : null,
      instructions: manual ? (endpoint.instructions ?? null) : null,
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

  /**
   * A provider whose object ids are not globally unique (capabilities) has at most one active
   * connection per workspace: rows are unique per workspace, provider and object id, so two sites'
   * objects (a Chargebee test and live site often share ids) would overwrite each other. Another
   * active connection than `self` is a 409 CONNECTION_CONFLICT, after `undo` when given.
   */
  async #assertSoleActive(
    workspaceId: string,
    provider: ProviderName,
    self: string | null,
    undo?: () => Promise<void>,
  ): Promise<void> {
    if (registeredAdapter(provider)?.capabilities.objectIdsGloballyUnique !== false) return;
    const other = (await this.#connections.list(workspaceId)).find(
      (c) => c.provider === provider && c.isActive && c.id !== self,
    );
    if (other === undefined) return;
    await undo?.();
    throw new ConflictError(
      'CONNECTION_CONFLICT',
      `The workspace already has an active ${provider} connection (${other.id}): ` +
        `${provider} object ids are not unique across accounts, so two accounts in one workspace ` +
        'would overwrite each other’s rows. Connect each account (e.g. a test site and a live ' +
        'site) in its own workspace, or deactivate the other connection first',
      { provider, activeConnectionId: other.id },
    );
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

/** Basic credentials as the webhook secret they are stored as. */
function basicSecret(c: WebhookCredential): string {
  return `${c.username}:${c.password}`;
}

/** A stored `username:password` secret back as credentials (the username has no colon). */
function splitBasicSecret(secret: string): WebhookCredential {
  const at = secret.indexOf(':');
  return { username: secret.slice(0, at), password: secret.slice(at + 1) };
}

/**
 * Basic credentials are for providers whose webhook secrets are Basic credentials (capabilities),
 * and a username has no colon (it ends at the first one).
 */
function credentialKindErrors(
  provider: ProviderName,
  credentials: readonly WebhookCredential[] | undefined,
  path: string,
): FieldError[] {
  if (credentials === undefined) return [];
  const kind = registeredAdapter(provider)?.capabilities.webhookSecretKind;
  if (kind !== 'basic_credentials') {
    return [
      {
        path,
        message: `is for providers that send webhooks with Basic credentials; ${provider} uses signing secrets (webhookSecrets)`,
      },
    ];
  }
  return credentials.flatMap((c, i) =>
    c.username.includes(':')
      ? [{ path: `${path}/${i}/username`, message: 'must not contain a colon' }]
      : [],
  );
}

/** What the provider's adapter says about the connection's settings (Chargebee needs a site). */
function providerSettingsErrors(
  provider: ProviderName,
  settings: ConnectionSettings,
  path: string,
): FieldError[] {
  return registeredAdapter(provider)?.validateSettings?.({ ...settings }, path) ?? [];
}

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
