import { readFileSync } from 'node:fs';

import {
  ConflictError,
  DependencyUnavailableError,
  ERROR_CODES,
  NotFoundError,
  RateLimitedError,
  ValidationError,
  toProblem,
} from './index.js';

describe('toProblem', () => {
  it('maps an AppError to its status, code and message', () => {
    const { problem } = toProblem(new NotFoundError('NOT_FOUND', 'Workspace not found'), {
      instance: '/api/v1/workspaces/x',
      requestId: 'req-1',
    });
    expect(problem).toEqual({
      type: 'https://paysync.dev/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'Workspace not found',
      code: 'NOT_FOUND',
      instance: '/api/v1/workspaces/x',
      requestId: 'req-1',
    });
  });

  it('includes field errors for validation failures', () => {
    const err = new ValidationError('Invalid body', [{ path: '/name', message: 'required' }]);
    expect(toProblem(err).problem).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ path: '/name', message: 'required' }],
    });
  });

  it('hides the message of unknown errors', () => {
    const { problem } = toProblem(new Error('password=hunter2 leaked in a driver message'));
    expect(problem.status).toBe(500);
    expect(problem.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });

  it('sets retry-after for rate limits and unavailable dependencies', () => {
    expect(toProblem(new RateLimitedError('slow down', 7)).headers).toEqual({ 'retry-after': '7' });
    const unavailable = toProblem(new DependencyUnavailableError('KAFKA_UNAVAILABLE', 'down'));
    expect(unavailable.problem.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('5');
  });

  it('keeps the cause chain on wrapped errors', () => {
    const cause = new Error('unique violation');
    const err = new ConflictError('CONFLICT', 'Already exists', { id: 1 }, { cause });
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('ConflictError');
    expect(err.retryable).toBe(false);
  });
});

describe('error code registry', () => {
  it('is documented code by code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ERROR_CODES)) {
      expect(readme).toContain(`\`${code}\``);
    }
  });
});
