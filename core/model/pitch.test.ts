import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { PitchError, trackPitch } from './pitch.ts';

const SR = 8000;

/** A harmonic-rich tone whose F0 glides linearly from f0a to f0b over n samples. */
function glide(f0a: number, f0b: number, n: number): Float32Array {
  const x = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * (f0a + ((f0b - f0a) * i) / n)) / SR;
    for (let h = 1; h <= 8; h++) x[i]! += (0.2 * Math.sin(h * phase)) / h;
  }
  return x;
}

describe('trackPitch', () => {
  it('follows a gliding harmonic tone without octave errors', () => {
    const n = 2 * SR;
    const { f0Hz, voicing } = trackPitch(glide(110, 260, n), { sr: SR, hopLength: 160 });
    let checked = 0;
    for (let f = 5; f < f0Hz.length - 5; f++) {
      const expected = 110 + (150 * f * 160) / n;
      expect(Math.abs(f0Hz[f]! - expected) / expected).toBeLessThan(0.03);
      expect(voicing[f]!).toBeGreaterThan(0.9);
      checked++;
    }
    expect(checked).toBeGreaterThan(80);
  });

  it('calls white noise and silence unvoiced', () => {
    const random = seededRandom('noise');
    const noise = Float32Array.from({ length: SR }, () => 0.3 * (random() - 0.5));
    expect(trackPitch(noise, { sr: SR, hopLength: 80 }).f0Hz.filter((v) => v > 0).length).toBe(0);
    expect(trackPitch(new Float32Array(SR), { sr: SR, hopLength: 80 }).f0Hz.every((v) => v === 0)).toBe(true);
  });

  it('gives one frame per hop, centred like librosa', () => {
    expect(trackPitch(new Float32Array(1000), { sr: SR, hopLength: 80 }).f0Hz.length).toBe(
      1 + Math.floor(1000 / 80),
    );
  });

  it('gives each frame length its own tables, whatever ran before', () => {
    const x = glide(110, 260, SR);
    const track = (frameLength: number) => trackPitch(x, { sr: SR, hopLength: 80, frameLength });
    const first = track(256);
    const other = track(200);
    expect(other.f0Hz).not.toEqual(first.f0Hz);
    expect(track(256)).toEqual(first);
    expect(track(200)).toEqual(other);
  });

  it('rejects a pitch range the frame cannot hold', () => {
    expect(() =>
      trackPitch(new Float32Array(SR), { sr: SR, hopLength: 80, frameLength: 64, fminHz: 50, fmaxHz: 90 }),
    ).toThrow(PitchError);
  });
});
