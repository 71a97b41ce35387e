import { describe, expect, it } from 'vitest';
import { type Piece, Reorderer } from './reorder.ts';

/** Chunk i (from 0) of one track: 20 ms at 8 kHz, its samples all equal to `value`. */
const chunk = (i: number, value = i + 1) => ({
  timestampMs: i * 20,
  samples: new Float32Array(160).fill(value),
});
const values = (parts: Piece[]) => parts.map((p) => ('gapMs' in p ? `gap${p.gapMs}` : p.samples[0]));

describe('Reorderer', () => {
  it('puts swapped chunks back in media-time order', () => {
    const r = new Reorderer(8000);
    const out = [1, 0, 3, 2, 5, 4].flatMap((i) => r.push(chunk(i)));
    expect(values(out)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.stats).toMatchObject({ reordered: 3, lost: 0 });
  });

  it('releases chunks in order at once whatever their numbers (numbering shared across tracks)', () => {
    // Twilio numbers the stream's media messages: one track sees chunks 1, 3, 5, … in order.
    const r = new Reorderer(8000);
    for (let i = 0; i < 50; i++) expect(values(r.push(chunk(i)))).toEqual([i + 1]);
    expect(r.stats).toEqual({ reordered: 0, lost: 0, duplicates: 0 });
  });

  it('reports a lost chunk as a gap of its duration once enough later chunks wait, and counts it', () => {
    const r = new Reorderer(8000, 3);
    const out = [0, 1, 3, 4, 5, 6].flatMap((i) => r.push(chunk(i)));
    expect(values(out)).toEqual([1, 2, 'gap20', 4, 5, 6, 7]);
    expect(r.stats).toMatchObject({ lost: 1 });
  });

  it('drops duplicates and chunks that arrive after their gap was given up', () => {
    const r = new Reorderer(8000, 2);
    const out = [0, 0, 2, 3, 4, 1].flatMap((i) => r.push(chunk(i)));
    expect(values(out)).toEqual([1, 'gap20', 3, 4, 5]);
    expect(r.stats.duplicates).toBe(2);
  });

  it('starts the timeline at the first chunk: a track that begins late leads in with a gap, not a loss', () => {
    const r = new Reorderer(8000);
    expect(values(r.push(chunk(250)))).toEqual(['gap5000', 251]);
    expect(r.stats.lost).toBe(0);
  });

  it('flushes what is still waiting at the end of the stream', () => {
    const r = new Reorderer(8000);
    expect(r.push(chunk(0))).toHaveLength(1);
    expect(r.push(chunk(2))).toEqual([]);
    expect(values(r.flush())).toEqual(['gap20', 3]);
  });
});
