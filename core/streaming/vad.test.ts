import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { silence, voiced } from './testing/synthetic.ts';
import { EnergyVad } from './vad.ts';

function frames(x: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let o = 0; o + 160 <= x.length; o += 160) out.push(x.subarray(o, o + 160));
  return out;
}

describe('EnergyVad', () => {
  it('marks voiced audio as speech and digital silence as not', () => {
    const vad = new EnergyVad();
    expect(frames(voiced(500)).every((f) => vad.isSpeech(f))).toBe(true);
    expect(frames(silence(500)).some((f) => vad.isSpeech(f))).toBe(false);
  });

  it('learns a steady background as noise, yet still hears speech over it', () => {
    const vad = new EnergyVad();
    const random = seededRandom('background');
    const noise = new Float32Array(8000 * 10).map(() => (random() * 2 - 1) * 0.02); // about -40 dBFS
    const decisions = frames(noise).map((f) => vad.isSpeech(f));
    expect(decisions.slice(-100).some(Boolean)).toBe(false);
    const speech = voiced(300, { amplitude: 0.3 });
    const mixed = speech.map((v, i) => v + noise[i]!);
    expect(frames(mixed).filter((f) => vad.isSpeech(f)).length).toBeGreaterThan(10);
  });
});
