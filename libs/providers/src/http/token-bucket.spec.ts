import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('paces permits at the rate once the burst is spent', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 5 });
    const started = Date.now();
    for (let i = 0; i < 5; i++) await bucket.acquire();
    for (let i = 0; i < 5; i++) await bucket.acquire();
    // Five more permits at 50/s need about 100 ms: at least 80 ms on any machine.
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
  });

  it('pauses for Retry-After when throttled', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 1000, burst: 10 });
    bucket.onThrottled(150);
    const started = Date.now();
    await bucket.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(TypeError);
  });
});
