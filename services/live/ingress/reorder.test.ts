import { describe, expect, it } from 'vitest';
import { Reorderer } from './reorder.ts';

const chunk = (seq: number, value = seq) => ({
  seq,
  timestampMs: (seq - 1) * 20,
  samples: new Float32Array(160).fill(value),
});
const values = (parts: Float32Array[]) => parts.map((p) => (p[0] === 0 ? `gap${p.length}` : p[0]));

describe('Reorderer', () => {
  it('puts swapped chunks back in order', () => {
    const r = new Reorderer(8000, 1);
    const out = [2, 1, 4, 3, 5].flatMap((s) => r.push(chunk(s)));
    expect(values(out)).toEqual([1, 2, 3, 4, 5]);
    expect(r.stats.reordered).toBe(2);
  });

  it('fills a lost chunk with silence of its duration once enough later chunks wait', () => {
    const r = new Reorderer(8000, 1, 3);
    const out = [1, 2, 4, 5, 6, 7].flatMap((s) => r.push(chunk(s)));
    expect(values(out)).toEqual([1, 2, 'gap160', 4, 5, 6, 7]);
    expect(r.stats).toMatchObject({ lost: 1, filledSamples: 160 });
  });

  it('drops duplicates and chunks that arrive after their gap was filled', () => {
    const r = new Reorderer(8000, 1, 2);
    const out = [1, 1, 3, 4, 5, 2].flatMap((s) => r.push(chunk(s)));
    expect(values(out)).toEqual([1, 'gap160', 3, 4, 5]);
    expect(r.stats.duplicates).toBe(2);
  });

  it('flushes what is still waiting at the end of the stream', () => {
    const r = new Reorderer(8000, 1);
    expect(r.push(chunk(1))).toHaveLength(1);
    expect(r.push(chunk(3))).toEqual([]);
    expect(values(r.flush())).toEqual(['gap160', 3]);
  });
});
