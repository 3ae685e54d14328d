import { BatchCoalescer } from './batch-coalescer.js';

interface Msg {
  readonly id: string;
}
interface Fail {
  readonly received: Msg;
  readonly error: string;
}

const msgs = (...ids: string[]): Msg[] => ids.map((id) => ({ id }));

/** A handler that records its calls and fails the messages whose id starts with `bad`. */
function recorder(opts: { throwOn?: string } = {}) {
  const calls: { key: string; ids: string[] }[] = [];
  const handle = async (key: 'a' | 'b', items: readonly Msg[]): Promise<Fail[]> => {
    calls.push({ key, ids: items.map((m) => m.id) });
    await Promise.resolve();
    if (opts.throwOn && items.some((m) => m.id === opts.throwOn)) throw new Error('db down');
    return items.filter((m) => m.id.startsWith('bad')).map((m) => ({ received: m, error: m.id }));
  };
  return { calls, handle };
}

describe('BatchCoalescer', () => {
  it('merges the batches that arrive in one turn into one call, in arrival order', async () => {
    const { calls, handle } = recorder();
    const coalescer = new BatchCoalescer<'a' | 'b', Msg, Fail>(handle);
    const results = await Promise.all([
      coalescer.run('a', msgs('p0-1', 'p0-2')),
      coalescer.run('a', msgs('p1-1')),
      coalescer.run('a', msgs('p2-1', 'p2-2')),
    ]);
    expect(calls).toEqual([{ key: 'a', ids: ['p0-1', 'p0-2', 'p1-1', 'p2-1', 'p2-2'] }]);
    expect(results).toEqual([[], [], []]);
  });

  it('gives each caller the failures of its own messages only (by identity, not by id)', async () => {
    const { handle } = recorder();
    const coalescer = new BatchCoalescer<'a' | 'b', Msg, Fail>(handle);
    const first = msgs('ok-1', 'bad-1');
    const second = msgs('bad-1', 'bad-2', 'ok-2'); // the same id in another partition
    const [r1, r2] = await Promise.all([coalescer.run('a', first), coalescer.run('a', second)]);
    expect(r1.map((f) => f.received)).toEqual([first[1]]);
    expect(r2.map((f) => f.received)).toEqual([second[0], second[1]]);
  });

  it('rejects every caller of a merged call that threw, and carries on with the next', async () => {
    const { calls, handle } = recorder({ throwOn: 'boom' });
    const coalescer = new BatchCoalescer<'a' | 'b', Msg, Fail>(handle);
    const merged = [coalescer.run('a', msgs('x')), coalescer.run('a', msgs('boom'))];
    await expect(merged[0]).rejects.toThrow('db down');
    await expect(merged[1]).rejects.toThrow('db down');
    await expect(coalescer.run('a', msgs('bad-later'))).resolves.toHaveLength(1);
    expect(calls.map((c) => c.ids)).toEqual([['x', 'boom'], ['bad-later']]);
  });

  it('queues callers that arrive while a call runs and sends them together as the next call', async () => {
    let release: () => void = () => undefined;
    const calls: string[][] = [];
    const coalescer = new BatchCoalescer<'a', Msg, Fail>(async (_key, items) => {
      calls.push(items.map((m) => m.id));
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
      return [];
    });
    const first = coalescer.run('a', msgs('1'));
    await new Promise((r) => setImmediate(r)); // the first call is running now
    const later = [coalescer.run('a', msgs('2')), coalescer.run('a', msgs('3'))];
    expect(calls).toEqual([['1']]);
    release();
    await Promise.all([first, ...later]);
    expect(calls).toEqual([['1'], ['2', '3']]);
  });

  it("hands each merged call its callers' metas (trace contexts) in arrival order", async () => {
    const seen: string[][] = [];
    const coalescer = new BatchCoalescer<'a', Msg, Fail, string>(async (_key, _items, metas) => {
      seen.push([...metas]);
      return [];
    });
    await Promise.all([
      coalescer.run('a', msgs('1'), 'trace-p0'),
      coalescer.run('a', msgs('2'), 'trace-p3'),
      coalescer.run('a', msgs('3'), 'trace-p5'),
    ]);
    expect(seen).toEqual([['trace-p0', 'trace-p3', 'trace-p5']]);
  });

  it('keeps keys apart (the webhook topic and the retry tiers take different fetch budgets)', async () => {
    const { calls, handle } = recorder();
    const coalescer = new BatchCoalescer<'a' | 'b', Msg, Fail>(handle);
    await Promise.all([coalescer.run('a', msgs('1')), coalescer.run('b', msgs('2'))]);
    expect(calls).toEqual(
      expect.arrayContaining([
        { key: 'a', ids: ['1'] },
        { key: 'b', ids: ['2'] },
      ]),
    );
    expect(calls).toHaveLength(2);
  });

  it('caps a merged call at maxItems (whole batches, at least one)', async () => {
    const { calls, handle } = recorder();
    const coalescer = new BatchCoalescer<'a' | 'b', Msg, Fail>(handle, { maxItems: 3 });
    await Promise.all([
      coalescer.run('a', msgs('1', '2')),
      coalescer.run('a', msgs('3', '4')),
      coalescer.run('a', msgs('5', '6', '7', '8')),
    ]);
    expect(calls.map((c) => c.ids)).toEqual([
      ['1', '2'],
      ['3', '4'],
      ['5', '6', '7', '8'],
    ]);
  });

  it('runs up to maxConcurrent calls at once while a full call of items waits (a backlog)', async () => {
    let inFlight = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const coalescer = new BatchCoalescer<'a', Msg, Fail>(
      async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise<void>((r) => releases.push(r));
        inFlight--;
        return [];
      },
      { maxItems: 2, maxConcurrent: 3 },
    );
    const calls = [1, 2, 3, 4].map((i) => coalescer.run('a', msgs(`${i}a`, `${i}b`)));
    await eventuallyTrue(() => releases.length === 3);
    expect(most).toBe(3); // the fourth waits for a free slot
    while (releases.length > 0) releases.shift()?.();
    await eventuallyTrue(() => releases.length === 1);
    releases.shift()?.();
    await Promise.all(calls);
    expect(most).toBe(3);
  });

  it('keeps small batches to one call at a time (merged), however many arrive while it runs', async () => {
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const sizes: number[] = [];
    const coalescer = new BatchCoalescer<'a', Msg, Fail>(
      async (_key, items) => {
        inFlight++;
        most = Math.max(most, inFlight);
        sizes.push(items.length);
        if (sizes.length === 1) await new Promise<void>((r) => (release = r));
        inFlight--;
        return [];
      },
      { maxItems: 100, maxConcurrent: 3 },
    );
    const first = coalescer.run('a', msgs('0'));
    await new Promise((r) => setImmediate(r));
    const later = Array.from({ length: 5 }, (_, i) => coalescer.run('a', msgs(`${i}x`, `${i}y`)));
    release();
    await Promise.all([first, ...later]);
    expect(most).toBe(1);
    expect(sizes).toEqual([1, 10]);
  });
});

/** Lets pending callbacks run until `check` holds (a few turns of the event loop at most). */
async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (let turn = 0; turn < 50 && !check(); turn++) await new Promise((r) => setImmediate(r));
  expect(check()).toBe(true);
}
