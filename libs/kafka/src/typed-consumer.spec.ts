import { z } from 'zod';

import { ValidationError } from '@paysync/errors';

import { createEnvelope } from './envelope.js';
import { parseMessage } from './typed-consumer.js';

import type { ConsumedMessage } from './consumer.js';

// What the typed consumer hands its handler: a typed value, or the reason the message is invalid
// (which the failure policy dead-letters).
const schema = z.object({ sessionId: z.string(), kind: z.enum(['start', 'cancel']) });

function consumed(fields: Partial<ConsumedMessage>): ConsumedMessage {
  return {
    topic: 't',
    partition: 0,
    offset: '7',
    key: 'k',
    headers: {},
    timestamp: '0',
    value: null,
    ...fields,
  };
}

describe('parseMessage', () => {
  it('a valid envelope of the expected type gives the typed payload', () => {
    const envelope = createEnvelope({
      type: 'sync.command',
      payload: { sessionId: 's1', kind: 'start' },
    });
    const received = parseMessage(consumed({ envelope }), schema, 'sync.command');
    expect(received).toMatchObject({
      valid: true,
      envelope,
      value: { sessionId: 's1', kind: 'start' },
    });
  });

  it('without an expected type any envelope type is read by its payload', () => {
    const envelope = createEnvelope({
      type: 'whatever',
      payload: { sessionId: 's1', kind: 'cancel' },
    });
    expect(parseMessage(consumed({ envelope }), schema).valid).toBe(true);
  });

  it.each([
    [
      'undecodable body',
      consumed({ decodeError: new ValidationError('Message is not JSON', [], 'MESSAGE_INVALID') }),
      'Message is not JSON',
    ],
    [
      'another message type',
      consumed({
        envelope: createEnvelope({ type: 'other', payload: { sessionId: 's', kind: 'start' } }),
      }),
      'unexpected message type other',
    ],
    [
      'payload that fails the schema',
      consumed({ envelope: createEnvelope({ type: 'sync.command', payload: { sessionId: 1 } }) }),
      'sessionId',
    ],
  ])('%s is invalid, with the reason', (_, message, reason) => {
    const received = parseMessage(message, schema, 'sync.command');
    expect(received.valid).toBe(false);
    expect(!received.valid && received.error.message).toContain(reason);
    expect(received.message).toBe(message);
  });
});
