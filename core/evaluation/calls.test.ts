import { describe, expect, it } from 'vitest';
import { buildCalls, CALL_GAP_MS, CALL_GAP_NOISE_DBFS, type CallClip, clipWindows } from './calls.ts';

const SR = 1000; // 1 sample per ms keeps the spans readable
/** A clip of `ms` samples, every sample its id, so a call's layout can be read back. */
const clip = (speaker: string, label: number, ms: number, id: number): CallClip => ({
  speaker,
  label,
  samples: new Float32Array(ms).fill(id),
});
const clips = [
  clip('a', 0, 300, 1),
  clip('a', 1, 200, 2),
  clip('a', 0, 100, 3),
  clip('b', 0, 400, 4),
  clip('a', 1, 500, 5),
];

describe('buildCalls', () => {
  it('single: one call per speaker and emotion, its clips in input order, joined by silence', () => {
    const calls = buildCalls(clips, 'single', SR);
    expect(calls.map((c) => c.clips.map((s) => s.index))).toEqual([[0, 2], [1, 4], [3]]);
    const [first] = calls;
    expect(first!.clips).toEqual([
      { index: 0, start: 0, end: 300 },
      { index: 2, start: 300 + CALL_GAP_MS, end: 400 + CALL_GAP_MS },
    ]);
    expect(first!.samples).toHaveLength(400 + CALL_GAP_MS);
    expect(first!.samples[299]).toBe(1);
    // The gap: line noise, about -65 dBFS, nothing like a clip's samples.
    const gap = first!.samples.subarray(300, 300 + CALL_GAP_MS);
    const rms = Math.sqrt(gap.reduce((s, x) => s + x * x, 0) / gap.length);
    expect(20 * Math.log10(rms)).toBeCloseTo(CALL_GAP_NOISE_DBFS, 0);
    expect(first!.samples[300 + CALL_GAP_MS]).toBe(3);
  });

  it('mixed: one call per speaker holding all its clips, in a seeded order that a seed fixes', () => {
    const calls = buildCalls(clips, 'mixed', SR, 's1');
    expect(calls.map((c) => [...c.clips.map((s) => s.index)].sort())).toEqual([[0, 1, 2, 4], [3]]);
    expect(buildCalls(clips, 'mixed', SR, 's1')).toEqual(calls);
    const orders = new Set(
      ['s1', 's2', 's3', 's4', 's5'].map((seed) =>
        buildCalls(clips, 'mixed', SR, seed)[0]!
          .clips.map((s) => s.index)
          .join(),
      ),
    );
    expect(orders.size).toBeGreaterThan(1);
    // Every clip's audio sits where its span says.
    for (const call of calls)
      for (const s of call.clips) expect(call.samples[s.start]).toBe(clips[s.index]!.samples[0]);
  });
});

describe('clipWindows', () => {
  const call = {
    samples: new Float32Array(0),
    clips: [
      { index: 0, start: 0, end: 2500 },
      { index: 1, start: 2750, end: 3000 },
      { index: 2, start: 3250, end: 6000 },
    ],
  };
  const w = (startMs: number) => ({ startMs, endMs: startMs + 2000 });

  it('gives each clip the windows centred inside it, and a clip none is centred in the next one', () => {
    const windows = [0, 1000, 2000, 3000, 4000].map(w); // centres 1000 … 5000
    expect(clipWindows(windows, call, 1000)).toEqual([
      [w(0), w(1000)],
      [w(2000)], // centred at 3000, inside [2750, 3000]
      [w(3000), w(4000)],
    ]);
    expect(clipWindows([w(0)], call, 1000)).toEqual([[w(0)], [w(0)], [w(0)]]);
    expect(clipWindows([], call, 1000)).toEqual([[], [], []]);
  });
});
