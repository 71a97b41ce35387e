import { describe, expect, it } from 'vitest';
import { classificationReport } from './classification.ts';

const onehot = (c: number, k = 3, p = 1) =>
  Array.from({ length: k }, (_, i) => (i === c ? p : (1 - p) / (k - 1)));

describe('classificationReport', () => {
  it('computes UA, WA, macro-F1 and the confusion matrix on an imbalanced set', () => {
    // truth: 4 x class0, 1 x class1; predictions: all class 0.
    const r = classificationReport(
      [0, 0, 0, 0, 0].map((c) => onehot(c)),
      [0, 0, 0, 0, 1],
      3,
    );
    expect(r.wa).toBeCloseTo(0.8);
    expect(r.ua).toBeCloseTo(0.5); // class 2 absent from truth: not averaged
    expect(r.recall[2]).toBeNaN();
    expect(r.confusion).toEqual([
      [4, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
    // F1 class0 = 2*4/(4+5) = 0.889, class1 = 0
    expect(r.macroF1).toBeCloseTo(0.8889 / 2, 3);
  });
  it('gives zero ECE for calibrated confident predictions and a positive ECE for overconfidence', () => {
    expect(classificationReport([onehot(0), onehot(1)], [0, 1], 3).ece).toBeCloseTo(0);
    const over = classificationReport([onehot(0, 3, 0.9), onehot(0, 3, 0.9)], [0, 1], 3);
    expect(over.ece).toBeCloseTo(0.4);
  });
  it('rejects mismatched lengths and labels out of range', () => {
    expect(() => classificationReport([onehot(0)], [0, 1], 3)).toThrow(RangeError);
    expect(() => classificationReport([onehot(0)], [5], 3)).toThrow(RangeError);
  });
});
