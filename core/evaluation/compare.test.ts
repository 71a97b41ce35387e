import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { classificationReport } from './classification.ts';
import { compareUa } from './compare.ts';

const oneHot = (pred: number[], classes: number) =>
  pred.map((p) => Array.from({ length: classes }, (_, c) => (c === p ? 1 : 0)));

describe('compareUa', () => {
  it('finds no difference, and no interval around it, between identical predictions', () => {
    const truth = [0, 0, 1, 1, 2, 2];
    const pred = [0, 1, 1, 2, 2, 0];
    expect(compareUa(pred, pred, truth)).toEqual({
      diff: 0,
      ci95: [0, 0],
      aOnly: 0,
      bOnly: 0,
      resamples: 2000,
    });
  });

  it('gives the difference classificationReport’s UAs give, and an interval that holds it', () => {
    const random = seededRandom('compare-test');
    const classes = 6;
    const truth = Array.from({ length: 180 }, (_, i) => i % classes);
    const predA = truth.map((t) => (random() < 0.55 ? t : Math.floor(random() * classes)));
    const predB = truth.map((t) => (random() < 0.6 ? t : Math.floor(random() * classes)));
    const ua = (pred: number[]) => classificationReport(oneHot(pred, classes), truth, classes).ua;
    const c = compareUa(predA, predB, truth);
    expect(c.diff).toBeCloseTo(ua(predB) - ua(predA), 12);
    expect(c.ci95[0]).toBeLessThanOrEqual(c.diff);
    expect(c.ci95[1]).toBeGreaterThanOrEqual(c.diff);
    expect(c.ci95[1] - c.ci95[0]).toBeGreaterThan(0.02);
    expect(c.bOnly - c.aOnly).toBe(
      truth.filter((t, i) => predB[i] === t).length - truth.filter((t, i) => predA[i] === t).length,
    );
    // Seeded: the same predictions give the same interval.
    expect(compareUa(predA, predB, truth)).toEqual(c);
  });

  it('puts the whole interval above zero where one model is right wherever the other is, and on more', () => {
    const truth = Array.from({ length: 40 }, (_, i) => i % 2);
    const predA = truth.map((t, i) => (i % 4 < 2 ? t : 1 - t));
    const c = compareUa(predA, truth, truth);
    expect(c.diff).toBeCloseTo(0.5, 12);
    expect([c.aOnly, c.bOnly]).toEqual([0, 20]);
    expect(c.ci95[0]).toBeGreaterThan(0.2);
    expect(c.ci95[1]).toBeLessThanOrEqual(0.8);
  });

  it('refuses predictions that do not match the labels', () => {
    expect(() => compareUa([0], [0, 1], [0, 1])).toThrow(/1 and 2 predictions for 2 labels/);
    expect(() => compareUa([], [], [])).toThrow(/no recordings/);
  });
});
