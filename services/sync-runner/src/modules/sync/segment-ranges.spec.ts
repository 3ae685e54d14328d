import { segmentRanges } from './unit-runner.js';

/** The ranges tile the created line: open at both ends, each starting where the previous ends. */
function expectTiling(ranges: ReturnType<typeof segmentRanges>) {
  expect(ranges[0]?.gte).toBeNull();
  expect(ranges.at(-1)?.lt).toBeNull();
  for (let i = 1; i < ranges.length; i++) {
    expect(ranges[i]?.gte).not.toBeNull();
    expect(ranges[i]?.gte).toBe(ranges[i - 1]?.lt);
    if (ranges[i]?.lt !== null) expect(ranges[i]!.lt!).toBeGreaterThan(ranges[i]!.gte!);
  }
}

it('cuts [oldest, newest] into n equal ranges when the first page lies in the newest one', () => {
  const ranges = segmentRanges(1_000, 1_999, 1_900, 4);
  expect(ranges).toEqual([
    { gte: null, lt: 1_250 },
    { gte: 1_250, lt: 1_500 },
    { gte: 1_500, lt: 1_750 },
    { gte: 1_750, lt: null },
  ]);
});

it('starts the newest range at the first page’s oldest object when the page reaches below the cut', () => {
  // 230 objects one second apart, the page holds the newest 100 (created 130..229).
  const ranges = segmentRanges(0, 229, 130, 4);
  expectTiling(ranges);
  expect(ranges).toHaveLength(4);
  expect(ranges.at(-1)).toEqual({ gte: 130, lt: null });
});

it('drops empty ranges and still tiles the line', () => {
  for (const [oldest, newest, pageOldest, n] of [
    [500, 500, 500, 4],
    [500, 501, 500, 8],
    [10, 12, 11, 4],
    [1_600_000_000, 1_700_000_000, 1_699_990_000, 2],
    [7, 9_999, 9_000, 64],
  ] as const) {
    const ranges = segmentRanges(oldest, newest, pageOldest, n);
    expectTiling(ranges);
    expect(ranges.length).toBeLessThanOrEqual(n);
    // The first page (created pageOldest..newest) lies wholly in the newest range.
    expect(ranges.at(-1)!.gte ?? -Infinity).toBeLessThanOrEqual(pageOldest);
  }
});
