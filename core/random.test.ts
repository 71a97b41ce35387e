import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom, shuffled } from './random.ts';

describe('seededRandom', () => {
  it('repeats for one seed and differs across seeds', () => {
    const a = seededRandom('x');
    const b = seededRandom('x');
    const c = seededRandom('y');
    const sa = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(sa);
    expect(Array.from({ length: 5 }, c)).not.toEqual(sa);
  });
  it('stays in [0, 1) with a roughly uniform mean', () => {
    const r = seededRandom('uniform');
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = r();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
  });
});

describe('gaussian', () => {
  it('has mean 0 and standard deviation 1', () => {
    const r = seededRandom('normal');
    const xs = Array.from({ length: 20_000 }, () => gaussian(r));
    const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
    expect(mean).toBeCloseTo(0, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(1, 1);
  });
});

describe('shuffled', () => {
  it('permutes without mutating and reproducibly', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s1 = shuffled(items, seededRandom('s'));
    expect(items).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...s1].sort((a, b) => a - b)).toEqual(items);
    expect(s1).not.toEqual(items);
    expect(shuffled(items, seededRandom('s'))).toEqual(s1);
  });
});
