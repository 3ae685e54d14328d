import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import fp from 'fastify-plugin';

import {
  NotFoundError,
  PROBLEM_CONTENT_TYPE,
  PayloadTooLargeError,
  ValidationError,
  toProblem,
  type AppError,
} from '@paysync/errors';

/** Fastify's own errors that are the client's fault, mapped to our codes. */
function fromFastifyError(err: FastifyError): AppError | undefined {
  if (err.validation) {
    return new ValidationError(
      'Request validation failed',
      err.validation.map((v) => ({
        path: `${err.validationContext ?? 'body'}${v.instancePath || ''}${
          v.keyword === 'required'
            ? `/${String((v.params as { missingProperty?: string }).missingProperty)}`
            : ''
        }${v.keyword === 'additionalProperties' ? `/${String((v.params as { additionalProperty?: string }).additionalProperty)}` : ''}`,
        message: v.message ?? 'is invalid',
      })),
      'VALIDATION_FAILED',
      { cause: err },
    );
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new PayloadTooLargeError('PAYLOAD_TOO_LARGE', 'Request body is too large', undefined, {
      cause: err,
    });
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    // Malformed JSON, bad content type, empty body with a JSON content type, …
    return new ValidationError(err.message, [], 'VALIDATION_FAILED', { cause: err });
  }
  return undefined;
}

function send(req: FastifyRequest, reply: FastifyReply, err: unknown) {
  const mapped =
    (err as FastifyError).code?.startsWith('FST_') || (err as FastifyError).validation
      ? (fromFastifyError(err as FastifyError) ?? err)
      : err;
  const { problem, headers } = toProblem(mapped, { instance: req.url, requestId: req.id });
  if (problem.status >= 500) req.log.error({ err }, 'Request failed');
  else req.log.info({ code: problem.code, status: problem.status }, 'Request rejected');
  return reply.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** One error handler at the edge: every failure leaves as RFC 9457 problem+json (STYLE R22). */
const errorHandlerPlugin: FastifyPluginAsync = async (app: FastifyInstance) => {
  app.setErrorHandler((err, req, reply) => send(req, reply, err));
  app.setNotFoundHandler((req, reply) =>
    send(
      req,
      reply,
      new NotFoundError(
        'ROUTE_NOT_FOUND',
        `Route ${req.method} ${req.url.split('?')[0]} not found`,
      ),
    ),
  );
};

export const problemErrorHandler = fp(errorHandlerPlugin, {
  name: 'paysync-problem-errors',
  fastify: '5.x',
});
