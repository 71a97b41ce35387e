import { describe, expect, it } from 'vitest';
import { EmotionSummary } from './summary.ts';

const probs = { angry: 0.5, disgust: 0, fear: 0, happy: 0, neutral: 0.5, sad: 0 };

describe('EmotionSummary', () => {
  it('is null without windows', () => {
    expect(new EmotionSummary().stats()).toBeNull();
  });

  it('compares the first and last minute and finds the peak', () => {
    const s = new EmotionSummary();
    for (let i = 0; i < 180; i++)
      s.add({
        startMs: i * 1000,
        endMs: i * 1000 + 2000,
        probs,
        valence: i < 90 ? -0.5 : 0.5,
        frustration: i === 10 ? 0.9 : 0.1,
      });
    const st = s.stats()!;
    expect(st.startValence).toBe(-0.5);
    expect(st.endValence).toBe(0.5);
    expect(st.peakFrustration).toBe(0.9);
    expect(st.peakFrustrationAtMs).toBe(12_000);
    expect(st.emotionMix.angry).toBeCloseTo(0.5, 10);
    expect(st.scoredWindows).toBe(180);
  });

  it('compares the first and last third of a call shorter than three minutes', () => {
    const s = new EmotionSummary();
    for (let i = 0; i < 29; i++)
      s.add({
        startMs: i * 1000,
        endMs: i * 1000 + 2000,
        probs,
        valence: i < 10 ? -0.5 : 0.5,
        frustration: 0.1,
      });
    const st = s.stats()!;
    expect(st.startValence).toBe(-0.5);
    expect(st.endValence).toBe(0.5);
  });
});
