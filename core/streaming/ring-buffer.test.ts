import { describe, expect, it } from 'vitest';
import { SampleRing } from './ring-buffer.ts';

describe('SampleRing', () => {
  it('reads back the newest samples across the wrap point', () => {
    const ring = new SampleRing(5);
    ring.write(Float32Array.from([1, 2, 3]));
    ring.write(Float32Array.from([4, 5, 6, 7]));
    expect(ring.total).toBe(7);
    expect(Array.from(ring.read(2, 7))).toEqual([3, 4, 5, 6, 7]);
    expect(Array.from(ring.read(5, 7))).toEqual([6, 7]);
  });

  it('keeps only the tail of a write longer than the ring', () => {
    const ring = new SampleRing(3);
    ring.write(Float32Array.from([1, 2, 3, 4, 5]));
    expect(ring.total).toBe(5);
    expect(Array.from(ring.read(2, 5))).toEqual([3, 4, 5]);
  });

  it('refuses samples that were overwritten or not yet written', () => {
    const ring = new SampleRing(3);
    ring.write(Float32Array.from([1, 2, 3, 4]));
    expect(() => ring.read(0, 3)).toThrow(RangeError);
    expect(() => ring.read(2, 5)).toThrow(RangeError);
  });
});
