import { loadConfig } from '@paysync/config';

import { configSchema } from './config.js';

const base = {
  DATABASE_URL: 'postgresql://u@127.0.0.1:1/d',
  KAFKA_BROKERS: '127.0.0.1:1',
  ENCRYPTION_KEYS: `t1:${Buffer.alloc(32, 1).toString('base64')}`,
};

describe('INGRESS_TRUST_PROXY and INGRESS_IP_ALLOWLIST', () => {
  it('trusts no proxy by default, or a list of IPv4/IPv6 addresses and CIDRs', () => {
    expect(loadConfig(configSchema, base).ingress.trustProxy).toBe(false);
    expect(
      loadConfig(configSchema, { ...base, INGRESS_TRUST_PROXY: 'false' }).ingress.trustProxy,
    ).toBe(false);
    expect(
      loadConfig(configSchema, { ...base, INGRESS_TRUST_PROXY: '10.0.0.0/8, fd00::/8,192.0.2.1' })
        .ingress.trustProxy,
    ).toEqual(['10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
  });

  it('refuses true (every hop trusted), a hop count and entries that are no address or CIDR', () => {
    expect(() => loadConfig(configSchema, { ...base, INGRESS_TRUST_PROXY: 'true' })).toThrow(
      /INGRESS_TRUST_PROXY: true would trust every hop/,
    );
    expect(() => loadConfig(configSchema, { ...base, INGRESS_TRUST_PROXY: '1' })).toThrow(
      /INGRESS_TRUST_PROXY: 1 would trust hops by count/,
    );
    expect(() => loadConfig(configSchema, { ...base, INGRESS_TRUST_PROXY: '10.0.0.0/33' })).toThrow(
      /INGRESS_TRUST_PROXY/,
    );
    expect(() =>
      loadConfig(configSchema, { ...base, INGRESS_IP_ALLOWLIST: '2001:db8::/32,nope' }),
    ).toThrow(/INGRESS_IP_ALLOWLIST: not an IPv4\/IPv6 address or CIDR: nope/);
    expect(
      loadConfig(configSchema, { ...base, INGRESS_IP_ALLOWLIST: '203.0.113.0/24,2001:db8::/32' })
        .ingress.ipAllowlist,
    ).toEqual(['203.0.113.0/24', '2001:db8::/32']);
  });
});
