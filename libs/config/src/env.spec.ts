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
