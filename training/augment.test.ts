import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.ts';
import {
  applyChannel,
  bandLimit,
  changeSpeed,
  codecRoundTrip,
  mixAtSnr,
  randomChannel,
  whiteNoise,
} from './augment.ts';

const SR = 8000;
const tone = (hz: number, n = SR) =>
  Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / SR));
const rms = (x: Float32Array, from = 0) =>
  Math.sqrt(x.subarray(from).reduce((a, v) => a + v * v, 0) / (x.length - from));

describe('augmentation', () => {
  it('band-limits to the telephone band', () => {
    expect(rms(bandLimit(tone(100), SR), 2000) / rms(tone(100))).toBeLessThan(0.15);
    expect(rms(bandLimit(tone(1000), SR), 2000) / rms(tone(1000))).toBeGreaterThan(0.9);
    expect(rms(bandLimit(tone(3900), SR), 2000) / rms(tone(3900))).toBeLessThan(0.3);
  });
  it('mixes noise at the requested SNR', () => {
    const x = tone(440);
    const noise = whiteNoise(x.length, seededRandom('n'));
    const y = mixAtSnr(x, noise, 10);
    const residual = y.map((v, i) => v - x[i]!);
    expect(20 * Math.log10(rms(x) / rms(residual))).toBeCloseTo(10, 1);
  });
  it('keeps a G.711 round trip close to the input', () => {
    const x = tone(440);
    for (const codec of ['mulaw', 'alaw'] as const) {
      const y = codecRoundTrip(x, codec);
      const err = rms(y.map((v, i) => v - x[i]!));
      expect(err).toBeGreaterThan(0);
      expect(err / rms(x)).toBeLessThan(0.05);
    }
  });
  it('changes speed by resampling', () => {
    expect(changeSpeed(tone(440), SR, 1.1).length).toBeCloseTo(SR / 1.1, -1);
  });
  it('draws reproducible channels from a seed', () => {
    const a = applyChannel(tone(440), SR, randomChannel(seededRandom('s')), [tone(200)], seededRandom('r'));
    const b = applyChannel(tone(440), SR, randomChannel(seededRandom('s')), [tone(200)], seededRandom('r'));
    expect(a).toEqual(b);
    expect(a.every(Number.isFinite)).toBe(true);
  });
});
