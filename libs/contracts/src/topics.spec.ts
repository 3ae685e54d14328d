import { ALL_TOPICS } from './index.js';

describe('topic catalogue', () => {
  it('names every topic <domain>.<entity>.<event>.v<N>, uniquely', () => {
    const names = ALL_TOPICS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+\.[a-z-]+\.[a-z0-9-]+\.v\d+$/);
  });

  it('keeps dead letters longer than the live topics', () => {
    const dlq = ALL_TOPICS.find((t) => t.name.includes('.dlq.'));
    expect(dlq).toBeDefined();
    for (const t of ALL_TOPICS) expect(dlq!.retentionMs).toBeGreaterThanOrEqual(t.retentionMs);
  });
});
