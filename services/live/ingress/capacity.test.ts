import { describe, expect, it } from 'vitest';
import { ScoringCapacity } from './capacity.ts';

const capacity = (maxLoad = 1, cores = 2) =>
  new ScoringCapacity({ cores, maxBatch: 8, hopMs: 1000, maxLoad });

describe('ScoringCapacity', () => {
  it('gives each thread one batch of scored speakers until a window has been measured', () => {
    const c = capacity();
    expect(c.windowCostMs).toBeUndefined();
    expect(c.refusal(15, 1)).toBeNull();
    expect(c.refusal(16, 1)).toBe(
      'scoring is at capacity: 16 scored speakers before the first window was measured',
    );
  });

  it('charges a scored speaker one window a second at the measured cost, against the threads’ time', () => {
    const c = capacity(0.8);
    c.batch(8, 160); // 20 ms a window: a thread scores 50 windows a second, two threads 100
    expect(c.windowCostMs).toBe(20);
    expect(c.load(40)).toBeCloseTo(0.4, 9);
    expect(c.refusal(79, 1)).toBeNull();
    expect(c.refusal(80, 1)).toBe(
      'scoring is at capacity: 80 scored speakers at 20.0 ms a window would take 81% of the scoring threads (bound 80%)',
    );
    // A call scoring its agent too asks for two.
    expect(c.refusal(79, 2)).not.toBeNull();
  });

  it('follows the cost as it changes, the latest batches weighing most', () => {
    const c = capacity();
    c.batch(8, 80);
    for (let i = 0; i < 60; i++) c.batch(8, 320);
    expect(c.windowCostMs).toBeGreaterThan(39);
    expect(c.windowCostMs).toBeLessThanOrEqual(40);
    c.batch(0, 1000); // nothing scored: nothing learnt
    expect(c.windowCostMs).toBeLessThanOrEqual(40);
  });

  it('never refuses with a bound of 0', () => {
    const c = capacity(0);
    c.batch(1, 10_000);
    expect(c.refusal(1000, 2)).toBeNull();
  });
});
