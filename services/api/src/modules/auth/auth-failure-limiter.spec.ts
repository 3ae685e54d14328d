import { AuthFailureLimiter, addressKey } from './auth-failure-limiter.js';

describe('addressKey', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6, and reduces IPv6 to its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('AuthFailureLimiter', () => {
  it('blocks an address after the limit, for at most the rest of the minute', () => {
    const limiter = new AuthFailureLimiter({ config: { api: { authFailuresPerMinute: 2 } } });
    expect(limiter.retryAfterSeconds('203.0.113.1')).toBeUndefined();
    limiter.recordFailure('203.0.113.1');
    expect(limiter.retryAfterSeconds('203.0.113.1')).toBeUndefined();
    limiter.recordFailure('203.0.113.1');
    const after = limiter.retryAfterSeconds('203.0.113.1');
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(60);
    expect(limiter.retryAfterSeconds('203.0.113.2')).toBeUndefined();
  });
});
