import { describe, expect, it } from 'vitest';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../../core/audio/g711.ts';
import { AudioFormatError, decodeFrames } from './codec.ts';

describe('decodeFrames', () => {
  const pcm = Int16Array.from([0, 1000, -1000, 32767, -32768, 12345]);

  it('splits interleaved little-endian PCM16 into channels', () => {
    const [a, b] = decodeFrames(new Uint8Array(pcm.buffer), 'pcm16', 2);
    expect(Array.from(a!, (v) => v * 32768)).toEqual([0, -1000, -32768]);
    expect(Array.from(b!, (v) => v * 32768)).toEqual([1000, 32767, 12345]);
  });

  it('decodes G.711 to the same scale, within the codec step', () => {
    for (const [codec, enc] of [
      ['mulaw', encodeUlaw],
      ['alaw', encodeAlaw],
    ] as const) {
      const [x] = decodeFrames(enc(pcm), codec, 1);
      for (const [i, v] of x!.entries()) expect(Math.abs(v * 32768 - pcm[i]!)).toBeLessThanOrEqual(1024);
    }
  });

  it('decodes every G.711 code exactly as the ITU decoder does, scaled by 1/32768, per channel', () => {
    const codes = Uint8Array.from({ length: 512 }, (_, i) => (i * 37 + (i >> 8)) & 255);
    for (const [codec, dec] of [
      ['mulaw', decodeUlaw],
      ['alaw', decodeAlaw],
    ] as const) {
      const expected = Array.from(dec(codes), (v) => v / 32768);
      expect(Array.from(decodeFrames(codes, codec, 1)[0]!)).toEqual(expected);
      const [left, right] = decodeFrames(codes, codec, 2);
      expect(Array.from(left!)).toEqual(expected.filter((_, i) => i % 2 === 0));
      expect(Array.from(right!)).toEqual(expected.filter((_, i) => i % 2 === 1));
    }
  });

  it('refuses partial frames', () => {
    expect(() => decodeFrames(new Uint8Array(3), 'pcm16', 1)).toThrow(AudioFormatError);
    expect(() => decodeFrames(new Uint8Array(3), 'mulaw', 2)).toThrow(AudioFormatError);
  });
});
