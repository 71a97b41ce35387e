import { describe, expect, it } from 'vitest';
import { delta } from './delta.ts';
import { FeatureError } from './errors.ts';

const row = (f: (t: number) => number, n: number) => ({
  rows: 1,
  cols: n,
  data: Float32Array.from({ length: n }, (_, t) => f(t)),
});

describe('delta', () => {
  it('is the exact slope of a line, edges included', () => {
    const d = delta(row((t) => 3 * t - 5, 12));
    for (const v of d.data) expect(v).toBeCloseTo(3, 5);
  });

  it('order 2 gives the second derivative of a parabola everywhere', () => {
    const d = delta(
      row((t) => 0.5 * t * t - t, 15),
      { width: 5, order: 2 },
    );
    for (const v of d.data) expect(v).toBeCloseTo(1, 4);
  });

  it('rejects even or too-small widths, and windows wider than the frames', () => {
    const m = row((t) => t, 10);
    expect(() => delta(m, { width: 4 })).toThrow(FeatureError);
    expect(() => delta(m, { width: 1 })).toThrow(FeatureError);
    expect(() => delta(m, { width: 11 })).toThrow(expect.objectContaining({ code: 'SIGNAL_TOO_SHORT' }));
    expect(() => delta(m, { width: 3, order: 3 })).toThrow(FeatureError);
  });
});
