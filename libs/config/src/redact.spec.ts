import { z } from 'zod';

import { envVar, secret } from './env.js';
import { redactText, redactUrlCredentials, secretTokens, secretValues } from './redact.js';

describe('redactUrlCredentials', () => {
  it('redacts the password of a URL and keeps the user, host and database', () => {
    expect(redactUrlCredentials('postgresql://paysync:hunter2-pw@db.internal:5432/paysync')).toBe(
      'postgresql://paysync:[redacted]@db.internal:5432/paysync',
    );
  });

  it('redacts a lone user (often the credential itself) and an unencoded @ in a password', () => {
    expect(redactUrlCredentials('https://sk_live_abc123@api.stripe.com/v1')).toBe(
      'https://[redacted]@api.stripe.com/v1',
    );
    expect(redactUrlCredentials('postgres://u:p@ss@w0rd@h/d')).toBe('postgres://u:[redacted]@h/d');
  });

  it('redacts credential query parameters and URLs inside free text', () => {
    expect(
      redactUrlCredentials(
        'connect to postgresql://h/d?sslmode=require&password=pw1&user=u failed; retry amqp://a:b@q',
      ),
    ).toBe(
      'connect to postgresql://h/d?sslmode=require&password=[redacted]&user=u failed; retry amqp://a:[redacted]@q',
    );
  });

  it('leaves text without credentials unchanged', () => {
    const text = 'postgresql://127.0.0.1:55432/paysync?sslmode=require';
    expect(redactUrlCredentials(text)).toBe(text);
    expect(redactUrlCredentials('user@example.com wrote 12:30')).toBe(
      'user@example.com wrote 12:30',
    );
  });
});

describe('secretTokens / secretValues / redactText', () => {
  const key1 = Buffer.alloc(32, 1).toString('base64');
  const key2 = Buffer.alloc(32, 2).toString('base64');

  it('splits a key ring into its keys (ids too short to be secret stay readable)', () => {
    const tokens = secretTokens(`k1:${key1},k2:${key2}`);
    expect(tokens).toEqual(expect.arrayContaining([`k1:${key1},k2:${key2}`, key1, key2]));
    expect(tokens).not.toContain('k1');
  });

  it('collects secret variables and every URL password from the raw environment', () => {
    const schema = {
      db: { url: envVar('DATABASE_URL', z.string(), 'db') },
      kafka: { password: secret('KAFKA_SASL_PASSWORD', z.string().optional(), 'sasl') },
      crypto: { keys: secret('ENCRYPTION_KEYS', z.string(), 'keys') },
      other: { brokers: envVar('BROKERS', z.string(), 'list of URLs') },
    };
    const values = secretValues(schema, {
      DATABASE_URL: 'postgresql://u:p%40ss-word@h/d',
      KAFKA_SASL_PASSWORD: 'sasl-pw-123',
      ENCRYPTION_KEYS: `k1:${key1}`,
      BROKERS: 'http://a:1,http://tok3n@b:2,http://postgres@c:3',
    });
    expect(values).toEqual(
      expect.arrayContaining(['p%40ss-word', 'p@ss-word', 'sasl-pw-123', key1]),
    );
    // A lone user name is redacted inside URLs only: as a token it is usually a role name.
    expect(values).not.toContain('postgres');
    const text = redactText(
      `auth failed for p@ss-word (sasl-pw-123) with key ${key1}, role postgres at http://tok3n@b:2`,
      values,
    );
    expect(text).toBe(
      'auth failed for [redacted] ([redacted]) with key [redacted], role postgres at http://[redacted]@b:2',
    );
  });
});
