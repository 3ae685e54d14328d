import { IpAllowlist, WindowRateLimiter } from './rate-limiter.js';

describe('WindowRateLimiter', () => {
  it('allows the limit per key per second, then refuses until the next second', () => {
    const limiter = new WindowRateLimiter({ limitPerSecond: 3 });
    const t = 1_000_000;
    expect([1, 2, 3, 4].map(() => limiter.take('1.2.3.4', t))).toEqual([true, true, true, false]);
    expect(limiter.take('5.6.7.8', t)).toBe(true); // keys are independent
    expect(limiter.take('1.2.3.4', t + 1000)).toBe(true); // a new window
  });
});

describe('IpAllowlist', () => {
  it('matches exact addresses and IPv4 CIDR ranges, including IPv4-mapped IPv6', () => {
    const list = new IpAllowlist({ entries: ['3.18.12.63', '54.187.174.0/24', '::1'] });
    expect(list.allows('3.18.12.63')).toBe(true);
    expect(list.allows('::ffff:3.18.12.63')).toBe(true);
    expect(list.allows('54.187.174.169')).toBe(true);
    expect(list.allows('54.187.175.1')).toBe(false);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('127.0.0.1')).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
  });

  it('rejects a malformed CIDR at start-up', () => {
    expect(() => new IpAllowlist({ entries: ['10.0.0.0/33'] })).toThrow(/invalid CIDR/);
    expect(() => new IpAllowlist({ entries: ['10.0.0/8'] })).toThrow(/invalid CIDR/);
  });
});
