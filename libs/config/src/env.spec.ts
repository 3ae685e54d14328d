import { z } from 'zod';

import { ConfigError } from '@paysync/errors';

import {
  bool,
  csv,
  describeEnv,
  envVar,
  httpConfigSchema,
  loadConfig,
  redactConfig,
  secret,
  url,
} from './index.js';

const schema = {
  http: httpConfigSchema(3000),
  db: {
    url: envVar('DATABASE_URL', url(['postgres', 'postgresql']), 'PostgreSQL connection URL'),
    password: secret('DB_PASSWORD', z.string().optional(), 'Database password'),
  },
  kafka: {
    brokers: envVar('KAFKA_BROKERS', csv(), 'Kafka bootstrap brokers'),
    enabled: envVar('KAFKA_CONSUMERS_ENABLED', bool().default(true), 'Run consumers'),
  },
};

describe('loadConfig', () => {
  it('parses and applies defaults', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db',
      KAFKA_BROKERS: 'a:1, b:2,',
      KAFKA_CONSUMERS_ENABLED: 'no',
    });
    expect(config.http.port).toBe(3000);
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.kafka.enabled).toBe(false);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig(schema, { DATABASE_URL: 'mysql://nope', PORT: 'eighty' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('KAFKA_BROKERS: is required');
    expect(message).toContain('PORT');
    expect((error as ConfigError).details).toEqual({
      variables: ['PORT', 'DATABASE_URL', 'KAFKA_BROKERS'],
    });
  });

  it('treats blank values as missing', () => {
    expect(() =>
      loadConfig(schema, { DATABASE_URL: 'postgres://h/d', KAFKA_BROKERS: '  ' }),
    ).toThrow(/KAFKA_BROKERS: is required/);
  });

  it('redacts secrets', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgres://h/d',
      KAFKA_BROKERS: 'k:1',
      DB_PASSWORD: 's3cret',
    });
    expect(JSON.stringify(redactConfig(schema, config))).not.toContain('s3cret');
    expect(JSON.stringify(redactConfig(schema, config))).toContain('[redacted]');
  });

  it('redacts the password of every URL in the config (DATABASE_URL is not a secret variable)', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgresql://paysync:db-Pa55word@db.internal:5432/paysync',
      KAFKA_BROKERS: 'k:1',
    });
    const logged = JSON.stringify(redactConfig(schema, config));
    expect(logged).not.toContain('db-Pa55word');
    expect(logged).toContain('postgresql://paysync:[redacted]@db.internal:5432/paysync');
    // The parsed config itself still carries the password: only what is logged is redacted.
    expect(config.db.url).toContain('db-Pa55word');
  });

  it('never quotes a secret or a URL password in the error it throws', () => {
    const keyRing = {
      keys: secret(
        'KEY_RING',
        z.string().refine((v) => v.includes(':'), { error: (i) => `bad key "${String(i.input)}"` }),
        'Key ring',
      ),
    };
    const key = Buffer.alloc(32, 9).toString('base64');
    let message = '';
    try {
      loadConfig(
        { ...schema, keyRing },
        { DATABASE_URL: 'mysql://u:my-Sql-pw@h/d', KAFKA_BROKERS: 'k:1', KEY_RING: key },
      );
    } catch (err) {
      message = (err as ConfigError).message;
    }
    expect(message).toContain('KEY_RING: bad key "[redacted]"');
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain(key);
    expect(message).not.toContain('my-Sql-pw');
  });

  it('describes variables with required flags and defaults', () => {
    const docs = describeEnv(schema);
    expect(docs.find((d) => d.env === 'PORT')).toMatchObject({
      required: false,
      defaultValue: '3000',
    });
    expect(docs.find((d) => d.env === 'DATABASE_URL')).toMatchObject({ required: true });
    expect(docs.find((d) => d.env === 'DB_PASSWORD')).toMatchObject({ secret: true });
  });

  it('rejects names that are not SCREAMING_SNAKE', () => {
    expect(() => envVar('kafkaBrokers', z.string(), 'x')).toThrow(TypeError);
  });
});
