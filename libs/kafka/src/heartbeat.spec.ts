import { eventually } from '@paysync/testkit';

import { withHeartbeat } from './heartbeat.js';

// The handler-side heartbeat (issue 16 item 3): it ticks while the work runs, a failed heartbeat
// is not the work's failure, and the work's own result or error comes through unchanged.
describe('withHeartbeat', () => {
  it('heartbeats while the work runs and returns its result', async () => {
    let beats = 0;
    const ctx = { heartbeat: async () => void beats++ };
    const result = await withHeartbeat(
      ctx,
      async () => {
        await eventually(() => beats >= 3, { what: 'three heartbeats during the work' });
        return 'done';
      },
      5,
    );
    expect(result).toBe('done');
  });

  it('a failing heartbeat (a rebalance under way) does not fail the work', async () => {
    let beats = 0;
    const ctx = {
      heartbeat: async () => {
        beats++;
        throw new Error('The group is rebalancing');
      },
    };
    await expect(
      withHeartbeat(
        ctx,
        async () => {
          await eventually(() => beats >= 2, { what: 'two failed heartbeats' });
          return 1;
        },
        5,
      ),
    ).resolves.toBe(1);
  });

  it("the work's error comes through", async () => {
    const ctx = { heartbeat: async () => undefined };
    await expect(
      withHeartbeat(ctx, () => Promise.reject(new Error('handler failed')), 5),
    ).rejects.toThrow('handler failed');
  });
});
