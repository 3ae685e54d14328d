import { ConfigError } from '@paysync/errors';

import { kafkaConnectionOptions } from './client.js';

describe('kafkaConnectionOptions (TLS and SASL for managed clusters)', () => {
  it('connects in plain text by default', () => {
    expect(kafkaConnectionOptions({})).toEqual({});
  });

  it('turns TLS on with the system CAs, or with the CA file it reads', () => {
    expect(kafkaConnectionOptions({ ssl: true })).toEqual({ ssl: true });
    const read: string[] = [];
    const options = kafkaConnectionOptions(
      { sslCaFile: '/etc/paysync/kafka-ca/ca.crt' },
      (path) => {
        read.push(path);
        return '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      },
    );
    expect(read).toEqual(['/etc/paysync/kafka-ca/ca.crt']);
    expect(options).toEqual({
      ssl: { ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] },
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    'passes SASL %s credentials',
    (mechanism) => {
      expect(
        kafkaConnectionOptions({
          ssl: true,
          saslMechanism: mechanism,
          saslUsername: 'paysync',
          saslPassword: 's3cret',
        }),
      ).toEqual({ ssl: true, sasl: { mechanism, username: 'paysync', password: 's3cret' } });
    },
  );

  it('names both missing credentials when a mechanism is set without them', () => {
    let error: unknown;
    try {
      kafkaConnectionOptions({ saslMechanism: 'scram-sha-512' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.path)).toEqual([
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
    ]);
  });
});
