import { describe, expect, it } from 'vitest';
import { applyClassOffsets, offsetFactors } from '../core/model/class-offsets.ts';
import { fitClassOffsets, type OffsetFitSet, offsetObjective } from './class-offsets.ts';

/** One window per clip; clip i of class t[i] gets `probs(t)`. */
function set(truth: number[], probs: (t: number) => number[]): OffsetFitSet {
  return { windows: truth.map((t) => [Float32Array.from(probs(t))]), truth };
}

describe('applyClassOffsets', () => {
  it('multiplies by e^b and renormalises, leaving zero offsets alone', () => {
    const p = Float32Array.from([0.5, 0.25, 0.25]);
    applyClassOffsets(p, offsetFactors([0, Math.log(2), 0]));
    expect(Array.from(p)).toEqual([0.4000000059604645, 0.4000000059604645, 0.20000000298023224]);
    const q = Float32Array.from([0.5, 0.25, 0.25]);
    applyClassOffsets(q, offsetFactors([0, 0, 0]));
    expect(Array.from(q)).toEqual([0.5, 0.25, 0.25]);
  });
});

describe('fitClassOffsets', () => {
  // A network that over-predicts class 1: class 0 clips score [0.4, 0.45, 0.15], so without offsets
  // every class-0 clip is called 1 (UA 2/3); class 1 and 2 clips are confident.
  const biased = set([0, 0, 1, 1, 2, 2], (t) =>
    t === 0 ? [0.4, 0.45, 0.15] : t === 1 ? [0.1, 0.8, 0.1] : [0.1, 0.1, 0.8],
  );

  it('lowers the over-predicted class until every clip is right, keeping the reference at 0', () => {
    const { offsets, before, after } = fitClassOffsets([biased], 3, { reference: 0 });
    expect(before).toBeCloseTo(2 / 3, 10);
    expect(after).toBe(1);
    expect(offsets[0]).toBe(0);
    // The smallest move that flips the class-0 clips: 0.45·e^b < 0.4 needs b < ln(0.4/0.45) ≈ -0.118.
    expect(Array.from(offsets)).toEqual([0, Math.fround(-0.2), 0]);
    expect(offsetObjective([biased], 3, offsets)).toBe(after);
  });

  it('leaves a model no offset can improve alone, and weighs corpora equally', () => {
    const clean = set([0, 1, 2], (t) => [0, 1, 2].map((k) => (k === t ? 0.8 : 0.1)));
    expect(Array.from(fitClassOffsets([clean], 3, { reference: 0 }).offsets)).toEqual([0, 0, 0]);
    // The clean set stays right under the fitted offsets while the biased one is repaired.
    const both = fitClassOffsets([clean, biased], 3, { reference: 0 });
    expect(both.after).toBe(1);
    expect(offsetObjective([clean], 3, both.offsets)).toBe(1);
  });

  it('stays within the range', () => {
    // Class-0 clips need class 1 lowered by more than ln(0.9/0.05) ≈ 2.9: out of a range of 1.
    const far = set([0, 1], (t) => (t === 0 ? [0.05, 0.9, 0.05] : [0.05, 0.9, 0.05]));
    const { offsets, after } = fitClassOffsets([far], 3, { reference: 0, range: 1 });
    expect(Math.max(...Array.from(offsets, Math.abs))).toBeLessThanOrEqual(1);
    expect(after).toBe(0.5);
  });
});
