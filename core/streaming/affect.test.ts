import { describe, expect, it } from 'vitest';
import { AffectTracker, frustrationEvidence, type Probs, valenceArousal } from './affect.ts';

const one = (e: keyof Probs): Probs => ({
  angry: 0,
  disgust: 0,
  fear: 0,
  happy: 0,
  neutral: 0,
  sad: 0,
  [e]: 1,
});

describe('valence and arousal', () => {
  it('places classes on the circumplex', () => {
    expect(valenceArousal(one('neutral'))).toEqual({ valence: 0, arousal: 0.25 });
    expect(valenceArousal(one('happy')).valence).toBeGreaterThan(0.5);
    expect(valenceArousal(one('angry')).arousal).toBeGreaterThan(valenceArousal(one('sad')).arousal);
  });

  it('averages by probability', () => {
    const mix = { ...one('happy'), happy: 0.5, sad: 0.5 };
    expect(valenceArousal(mix).valence).toBeCloseTo((0.8 - 0.6) / 2, 10);
  });
});

describe('AffectTracker', () => {
  it('smooths valence and arousal over windows', () => {
    const t = new AffectTracker(0.5);
    expect(t.update(one('happy')).valence).toBeCloseTo(0.8, 10);
    const next = t.update(one('sad'));
    expect(next.valence).toBeCloseTo((0.8 - 0.6) / 2, 10);
    expect(next.arousal).toBeCloseTo((0.65 + 0.15) / 2, 10);
  });
});

describe('frustration', () => {
  it('rises with anger and arousal, not with sadness', () => {
    expect(frustrationEvidence(one('angry'), 0.9)).toBeCloseTo(0.95, 10);
    expect(frustrationEvidence(one('sad'), 0.15)).toBe(0);
    expect(frustrationEvidence(one('disgust'), 0.5)).toBeCloseTo(0.375, 10);
  });

  it('needs persistence: one angry window moves it less than several', () => {
    const t = new AffectTracker(0.5);
    t.update(one('neutral'));
    const once = t.update(one('angry')).frustration;
    const twice = t.update(one('angry')).frustration;
    const thrice = t.update(one('angry')).frustration;
    expect(once).toBeCloseTo(0.475, 10);
    expect(twice).toBeGreaterThan(once);
    expect(thrice).toBeGreaterThan(twice);
    const calm = t.update(one('neutral')).frustration;
    expect(calm).toBeLessThan(thrice);
  });
});
