import {
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSConnectionError,
} from 'kafkajs';

import { classifyProduceError } from './produce-errors.js';

const protocol = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as never);

describe('classifyProduceError', () => {
  it('a message the broker refuses (as kafkajs wraps it) is rejected, with the broker’s reason', () => {
    const cause = protocol('MESSAGE_TOO_LARGE', false);
    const err = Object.assign(new KafkaJSNonRetriableError(cause), { cause });
    expect(classifyProduceError(err)).toEqual({ kind: 'rejected', reason: 'MESSAGE_TOO_LARGE' });
    expect(classifyProduceError(protocol('INVALID_RECORD', false))).toEqual({
      kind: 'rejected',
      reason: 'INVALID_RECORD',
    });
  });

  it('other non-retriable broker errors are permanent, not the message’s fault', () => {
    expect(classifyProduceError(protocol('TOPIC_AUTHORIZATION_FAILED', false))).toEqual({
      kind: 'permanent',
      reason: 'TOPIC_AUTHORIZATION_FAILED',
    });
  });

  it('exhausted retries, lost connections and timeouts are transient', () => {
    const exhausted = new KafkaJSNumberOfRetriesExceeded(
      protocol('NOT_LEADER_FOR_PARTITION', true),
      {
        retryCount: 5,
        retryTime: 1000,
      } as never,
    );
    expect(classifyProduceError(exhausted)).toEqual({ kind: 'transient' });
    expect(classifyProduceError(new KafkaJSConnectionError('Connection error'))).toEqual({
      kind: 'transient',
    });
    expect(classifyProduceError(new Error('produce to t timed out after 5000 ms'))).toEqual({
      kind: 'transient',
    });
  });
});
