import { describe, expect, it } from 'vitest';
import { streamingConfig } from './config.ts';
import { SpeakerStream, type SpeakerWindow } from './speaker-stream.ts';
import { concat, randomChunks, silence, voiced } from './testing/synthetic.ts';

const config = streamingConfig();

function run(chunks: Float32Array[], keepAudio = true): SpeakerWindow[] {
  const s = new SpeakerStream(config, { keepAudio });
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
}

describe('SpeakerStream', () => {
  const audio = concat(voiced(3000), silence(3000), voiced(2500, { seed: 3 }));

  it('cuts 2 s windows every 1 s at fixed positions', () => {
    const ws = run([audio]);
    expect(ws.map((w) => [w.startMs, w.endMs])).toEqual([
      [0, 2000],
      [1000, 3000],
      [2000, 4000],
      [3000, 5000],
      [4000, 6000],
      [5000, 7000],
      [6000, 8000],
    ]);
  });

  it('gives the same windows and audio whatever the chunking', () => {
    const whole = run([audio]);
    for (const [max, seed] of [
      [1, 1],
      [7, 2],
      [160, 3],
      [5000, 4],
    ] as const) {
      const chunked = run(randomChunks(audio, max, seed));
      expect(chunked.length).toBe(whole.length);
      chunked.forEach((w, i) => {
        expect(w.speechRatio).toBe(whole[i]!.speechRatio);
        expect(w.samples).toEqual(whole[i]!.samples);
      });
    }
  });

  it('does not score silence', () => {
    const ws = run([audio]);
    const silent = ws.find((w) => w.startMs === 3000 && w.endMs === 5000)!;
    expect(silent.speechRatio).toBe(0);
    expect(silent.scorable).toBe(false);
    expect(silent.samples).toBeNull();
    expect(ws[0]!.scorable).toBe(true);
    expect(ws[0]!.speechRatio).toBeGreaterThan(0.9);
    expect(ws[0]!.samples!.length).toBe(16000);
  });

  it('moves the timeline on through a gap: windows stay on their grid, the gap is neither talk nor silence', () => {
    const held = new SpeakerStream(config, { keepAudio: true });
    const plain = new SpeakerStream(config, { keepAudio: true });
    const before = voiced(3000);
    const after = voiced(2500, { seed: 3 });
    const ws = [...held.push(before), ...held.gap(120_000 * 8), ...held.push(after)];
    const reference = [...plain.push(before), ...plain.push(silence(120_000)), ...plain.push(after)];
    expect(ws.map((w) => [w.startMs, w.endMs])).toEqual(reference.map((w) => [w.startMs, w.endMs]));
    expect(ws.at(-1)!.endMs).toBe(125_000);
    expect(held.samples).toBe(125_500 * 8);
    expect(held.gapMs).toBe(120_000);
    expect(held.talkMs + held.silenceMs).toBe(5500);
    expect(plain.talkMs + plain.silenceMs).toBe(125_500);
    expect(held.talkMs).toBe(plain.talkMs);
    // The windows after the hold hear the same speech as without it.
    expect(ws.at(-1)!.scorable).toBe(true);
    expect(ws.at(-1)!.speechRatio).toBe(reference.at(-1)!.speechRatio);
  });

  it('copies no audio for a measure-only speaker but still measures talk time', () => {
    const s = new SpeakerStream(config, { keepAudio: false });
    const ws = s.push(audio);
    expect(ws.every((w) => w.samples === null)).toBe(true);
    expect(s.talkMs).toBeGreaterThan(5000);
    expect(s.silenceMs).toBeGreaterThanOrEqual(2900);
  });

  it('scores a short call once at its end, and nothing under half a window', () => {
    expect(run([voiced(1500)]).map((w) => [w.startMs, w.endMs])).toEqual([[0, 1500]]);
    expect(run([voiced(900)])).toEqual([]);
  });
});
