import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.ts';
import { fitTemperature } from './calibration.ts';

describe('fitTemperature', () => {
  it('recovers the temperature that generated the labels', () => {
    const random = seededRandom('temperature');
    const windows = Array.from({ length: 4000 }, () => {
      const logits = Float32Array.from({ length: 6 }, () => 6 * (random() - 0.5));
      // Labels drawn from softmax(logits / 2): the best temperature is 2.
      const p = Array.from(logits, (z) => Math.exp(z / 2));
      let u = random() * p.reduce((a, b) => a + b, 0);
      let label = 0;
      while (label < 5 && u > p[label]!) u -= p[label++]!;
      return { logits, label };
    });
    expect(fitTemperature(windows)).toBeCloseTo(2, 0);
    expect(Math.abs(fitTemperature(windows) - 2)).toBeLessThanOrEqual(0.25);
  });
});
