import {
  ENTITY_TYPES,
  TOPICS,
  type EntityType,
  type ProviderName,
  type SyncCommand,
  type SyncCommandKind,
} from '@paysync/contracts';
import {
  canTransition,
  type ConnectionRepository,
  type ReconciliationRepository,
  type ReconciliationView,
  type SyncSessionRepository,
  type SyncSessionView,
} from '@paysync/db';
import { ConflictError, NotFoundError, ValidationError } from '@paysync/errors';
import { syncCommandMessage, topicName, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { providerCatalog } from '@paysync/providers';

export interface StartSyncInput {
  readonly workspaceId: string;
  readonly provider: ProviderName;
  readonly configurationId?: string | undefined;
  readonly entityTypes?: readonly EntityType[] | undefined;
  readonly requestedBy: string;
  readonly correlationId: string;
}

export interface RecoverInput {
  readonly workspaceId: string;
  readonly sessionId: string;
  readonly mode: 'resume' | 'restart';
  readonly entityTypes?: readonly EntityType[] | undefined;
  readonly requestedBy: string;
  readonly correlationId: string;
  readonly stalledAfterMs: number;
}

export interface RecoverResult {
  readonly sessionId: string;
  readonly parentSessionId: string | null;
  readonly mode: 'resume' | 'restart';
}

export interface SyncControlServiceDeps {
  readonly syncSessionRepository: SyncSessionRepository;
  readonly reconciliationRepository: ReconciliationRepository;
  readonly connectionRepository: ConnectionRepository;
  readonly kafkaProducer: KafkaProducer;
  readonly logger: Logger;
  readonly config: { readonly kafka: { readonly topicPrefix: string } };
}

/**
 * Sync control: creates sessions and tells the sync-runner through `billing.sync.command.v1`.
 * The session row is written first and is the source of truth; if the command cannot be
 * published the session is marked failed (nothing waits forever on a command that never left)
 * and the caller gets a retryable 503.
 */
export class SyncControlService {
  readonly #sessions: SyncSessionRepository;
  readonly #reconciliations: ReconciliationRepository;
  readonly #connections: ConnectionRepository;
  readonly #producer: KafkaProducer;
  readonly #topic: string;
  readonly #logger: Logger;

  constructor({
    syncSessionRepository,
    reconciliationRepository,
    connectionRepository,
    kafkaProducer,
    logger,
    config,
  }: SyncControlServiceDeps) {
    this.#sessions = syncSessionRepository;
    this.#reconciliations = reconciliationRepository;
    this.#connections = connectionRepository;
    this.#producer = kafkaProducer;
    this.#topic = topicName(TOPICS.syncCommand, config.kafka.topicPrefix);
    this.#logger = logger.child({ component: 'SyncControlService' });
  }

  async startInitial(input: StartSyncInput): Promise<SyncSessionView> {
    const connection = await this.#activeConnection(input);
    const supported = supportedEntityTypes(input.provider);
    const requested = input.entityTypes?.length ? [...new Set(input.entityTypes)] : supported;
    const unsupported = requested.filter((t) => !supported.includes(t));
    if (unsupported.length > 0) {
      throw new ValidationError(
        'Entity types not supported by this provider',
        unsupported.map((t) => ({ path: 'body/entityTypes', message: `${t} is not supported` })),
      );
    }
    // Dependency order, whatever order the caller listed them in.
    const entityTypes = ENTITY_TYPES.filter((t) => requested.includes(t));
    const session = await this.#sessions.createIfIdle({
      workspaceId: input.workspaceId,
      configurationId: connection.id,
      provider: input.provider,
      entityTypes,
      requestedBy: input.requestedBy,
    });
    await this.#publish(
      commandFor('start', { ...session, configurationId: connection.id }, input.requestedBy),
      input.correlationId,
    );
    this.#logger.info(
      { workspaceId: input.workspaceId, sessionId: session.id, entityTypes },
      'Sync session requested',
    );
    return session;
  }

  async cancel(
    workspaceId: string,
    sessionId: string,
    requestedBy: string,
    correlationId: string,
  ): Promise<SyncSessionView> {
    const session = await this.#sessions.cancel(workspaceId, sessionId);
    const { configurationId } = session;
    if (configurationId) {
      // Best effort: runners also see the status between pages, so a lost command only delays.
      try {
        await this.#producer.send(this.#topic, [
          syncCommandMessage(commandFor('cancel', { ...session, configurationId }, requestedBy), {
            correlationId,
          }),
        ]);
      } catch (err) {
        this.#logger.warn({ err, sessionId }, 'Cancel command not published; runner will poll');
      }
    }
    this.#logger.info({ workspaceId, sessionId }, 'Sync session cancelled');
    return session;
  }

  /**
   * Recovers a failed, cancelled or stalled session: `resume` asks the sync-runner to continue it
   * from its checkpoints; `restart` creates a new session linked to it (parentSessionId) that
   * starts from scratch, for the given entity types or the old session's.
   */
  async recover(input: RecoverInput): Promise<RecoverResult> {
    const session = await this.#recoverable(input);
    if (input.mode === 'resume') {
      await this.#publish(commandFor('resume', session, input.requestedBy), input.correlationId, {
        failSessionOnError: false,
      });
      this.#logger.info({ sessionId: session.id }, 'Sync session resume requested');
      return { sessionId: session.id, parentSessionId: null, mode: 'resume' };
    }
    const child = await this.#sessions.createIfIdle({
      workspaceId: session.workspaceId,
      configurationId: session.configurationId,
      provider: session.provider,
      entityTypes: ENTITY_TYPES.filter((t) =>
        (input.entityTypes?.length ? input.entityTypes : session.entityTypes).includes(t),
      ),
      requestedBy: input.requestedBy,
      parentSessionId: session.id,
    });
    await this.#publish(
      commandFor(
        'restart',
        { ...child, configurationId: session.configurationId },
        input.requestedBy,
      ),
      input.correlationId,
    );
    this.#logger.info(
      { sessionId: child.id, parentSessionId: session.id },
      'Sync session restarted',
    );
    return { sessionId: child.id, parentSessionId: session.id, mode: 'restart' };
  }

  /**
   * Asks the recovery service to reconcile a connection (it polls `reconciliation_runs`). One
   * pending or running reconciliation per connection: a second is RECONCILIATION_ACTIVE.
   */
  async requestReconciliation(
    input: Omit<StartSyncInput, 'correlationId'> & { repair: boolean },
  ): Promise<ReconciliationView> {
    const connection = await this.#activeConnection(input);
    const supported = supportedEntityTypes(input.provider);
    const entityTypes = ENTITY_TYPES.filter(
      (t) => supported.includes(t) && (!input.entityTypes?.length || input.entityTypes.includes(t)),
    );
    const run = await this.#reconciliations.create({
      workspaceId: input.workspaceId,
      configurationId: connection.id,
      provider: input.provider,
      entityTypes,
      repair: input.repair,
      trigger: 'manual',
      requestedBy: input.requestedBy,
    });
    this.#logger.info(
      { reconciliationId: run.id, workspaceId: input.workspaceId, repair: input.repair },
      'Reconciliation requested',
    );
    return run;
  }

  /**
   * The session to recover, if it may be: the state machine says whether the mode can leave its
   * status at all; a running session must also be stalled, and a restarted one (it has a child)
   * is not recovered twice.
   */
  async #recoverable(input: RecoverInput): Promise<SyncSessionView & { configurationId: string }> {
    const session = await this.#sessions.get(input.workspaceId, input.sessionId);
    const recoverable =
      canTransition(session.status, input.mode) &&
      (
        await this.#sessions.recoverable(
          input.workspaceId,
          input.stalledAfterMs,
          undefined,
          session.id,
        )
      ).length === 1;
    if (!recoverable) {
      throw new ConflictError(
        session.status === 'completed' ? 'SYNC_SESSION_FINISHED' : 'CONFLICT',
        session.status === 'completed'
          ? 'The sync session completed; start a new one instead'
          : 'The sync session is not recoverable (still progressing, or already restarted)',
        { sessionId: session.id, status: session.status },
      );
    }
    const { configurationId } = session;
    if (!configurationId) {
      throw new ConflictError('CONFLICT', 'The session’s connection no longer exists', {
        sessionId: session.id,
      });
    }
    return { ...session, configurationId };
  }

  /** The connection a request names (or the workspace's only one); a deactivated one is refused. */
  async #activeConnection(input: Omit<StartSyncInput, 'correlationId'>) {
    const connection = await this.#pickConnection(input);
    if (!connection.isActive) {
      throw new ConflictError('CONNECTION_INACTIVE', 'The provider connection is deactivated', {
        connectionId: connection.id,
      });
    }
    return connection;
  }

  async #pickConnection(input: Omit<StartSyncInput, 'correlationId'>) {
    if (input.configurationId !== undefined) {
      const connection = await this.#connections.get(input.workspaceId, input.configurationId);
      if (connection.provider !== input.provider) {
        throw new NotFoundError('NOT_FOUND', `No ${input.provider} connection with this id`, {
          configurationId: input.configurationId,
        });
      }
      return connection;
    }
    const candidates = (await this.#connections.list(input.workspaceId)).filter(
      (c) => c.provider === input.provider,
    );
    const active = candidates.filter((c) => c.isActive);
    const pool = active.length > 0 ? active : candidates;
    if (pool.length === 0) {
      throw new NotFoundError('NOT_FOUND', `The workspace has no ${input.provider} connection`, {
        provider: input.provider,
      });
    }
    if (pool.length > 1) {
      throw new ConflictError(
        'CONNECTION_AMBIGUOUS',
        `The workspace has ${pool.length} ${input.provider} connections; name one with configurationId`,
        { configurationIds: pool.map((c) => c.id) },
      );
    }
    return pool[0] as (typeof pool)[number];
  }

  /**
   * Hands a command to Kafka. When it cannot be published, a session that was just created is
   * marked failed (`failSessionOnError`) so nothing waits on a command that never left.
   */
  async #publish(
    command: SyncCommand,
    correlationId: string,
    { failSessionOnError = true }: { failSessionOnError?: boolean } = {},
  ): Promise<void> {
    try {
      await this.#producer.send(this.#topic, [
        syncCommandMessage(command, {
          correlationId,
          idempotencyKey: `${command.kind}:${command.sessionId}:${correlationId}`,
        }),
      ]);
    } catch (err) {
      if (!failSessionOnError) throw err;
      await this.#sessions.markFailed(command.sessionId, {
        code: 'KAFKA_UNAVAILABLE',
        message: 'The sync command could not be handed to Kafka; start the sync again',
      });
      throw err;
    }
  }
}

function supportedEntityTypes(provider: ProviderName): readonly EntityType[] {
  return providerCatalog().find((p) => p.name === provider)?.capabilities?.entityTypes ?? [];
}

/** The command about a session (its connection, provider and entity types) for the sync-runner. */
function commandFor(
  kind: SyncCommandKind,
  session: Pick<SyncSessionView, 'id' | 'workspaceId' | 'provider' | 'entityTypes'> & {
    readonly configurationId: string;
  },
  requestedBy: string,
): SyncCommand {
  return {
    kind,
    sessionId: session.id,
    workspaceId: session.workspaceId,
    configurationId: session.configurationId,
    provider: session.provider,
    entityTypes: [...session.entityTypes],
    requestedBy,
  };
}
