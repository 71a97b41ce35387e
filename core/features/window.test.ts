import { describe, expect, it } from 'vitest';
import { FeatureError } from './errors.ts';
import { hannWindow, stftWindow } from './window.ts';

describe('window', () => {
  it('is the periodic (DFT-even) Hann window', () => {
    expect(Array.from(hannWindow(4))).toEqual([0, 0.5, 1, 0.5]);
    expect(Array.from(hannWindow(1))).toEqual([1]);
  });

  it('centres a shorter window inside nFft with zeros around it', () => {
    const w = stftWindow(200, 256);
    expect(w.length).toBe(256);
    expect(w[27]).toBe(0);
    expect(w[28]).toBe(0); // the Hann window itself starts at 0
    expect(w[128]).toBe(1);
    expect(w[228]).toBe(0);
    expect(w.slice(28, 228)).toEqual(hannWindow(200));
  });

  it('rejects impossible lengths', () => {
    expect(() => hannWindow(0)).toThrow(FeatureError);
    expect(() => stftWindow(300, 256)).toThrow(FeatureError);
  });
});
