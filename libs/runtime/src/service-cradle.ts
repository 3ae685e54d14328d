// @fastify/awilix's types (`app.diContainer`, the awilix-manager registration options) for every
// package that uses this one; `preserve` keeps the reference in the emitted declarations.
/// <reference types="@fastify/awilix" preserve="true" />
import type { AwilixContainer, NameAndRegistrationPair } from 'awilix';
import type { FastifyInstance } from 'fastify';

/**
 * A service's Fastify app with its container typed by the service's own cradle. There is no
 * global `Cradle` augmentation (each service would add its own, and those collide where tests
 * compile several services together); `buildApp` returns this type instead.
 */
export type ServiceApp<C extends object> = FastifyInstance & {
  readonly diContainer: AwilixContainer<C>;
};

/** Registrations a test swaps for its own (`buildApp(config, { name: asValue(fake) })`). */
export type DependencyOverrides<C extends object> = Partial<NameAndRegistrationPair<C>>;

/**
 * The service's cradle inside a route plugin (plugins receive a plain `FastifyInstance`):
 * `const { webhookHandoffService } = cradleOf<IngressCradle>(app)`. Routes resolve through this,
 * domain code never does (STYLE R11).
 */
export function cradleOf<C extends object>(app: FastifyInstance): C {
  return app.diContainer.cradle as C;
}
