import { loadConfig } from '@paysync/config';

import { configSchema } from './config.js';

const base = {
  DATABASE_URL: 'postgresql://u@127.0.0.1:1/d',
  KAFKA_BROKERS: '127.0.0.1:1',
  ENCRYPTION_KEYS: `t1:${Buffer.alloc(32, 1).toString('base64')}`,
};

describe('PROCESSOR_FETCH_MIN_BYTES and PROCESSOR_FETCH_MAX_WAIT_MS', () => {
  it('batch fetches of the webhook topic by default: 64 KiB or 20 ms, whichever comes first', () => {
    const { processor } = loadConfig(configSchema, base);
    expect(processor.fetchMinBytes).toBe(65_536);
    expect(processor.fetchMaxWaitMs).toBe(20);
    const eager = loadConfig(configSchema, {
      ...base,
      PROCESSOR_FETCH_MIN_BYTES: '1',
      PROCESSOR_FETCH_MAX_WAIT_MS: '1000',
    }).processor;
    expect([eager.fetchMinBytes, eager.fetchMaxWaitMs]).toEqual([1, 1000]);
  });

  it('refuses no bytes, no wait and a wait past 5 s (it also bounds shutdown)', () => {
    expect(() => loadConfig(configSchema, { ...base, PROCESSOR_FETCH_MIN_BYTES: '0' })).toThrow(
      /PROCESSOR_FETCH_MIN_BYTES/,
    );
    expect(() => loadConfig(configSchema, { ...base, PROCESSOR_FETCH_MAX_WAIT_MS: '0' })).toThrow(
      /PROCESSOR_FETCH_MAX_WAIT_MS/,
    );
    expect(() =>
      loadConfig(configSchema, { ...base, PROCESSOR_FETCH_MAX_WAIT_MS: '5001' }),
    ).toThrow(/PROCESSOR_FETCH_MAX_WAIT_MS/);
  });
});
