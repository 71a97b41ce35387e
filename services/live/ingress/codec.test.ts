import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../../core/audio/g711.ts';
import { seededRandom } from '../../../core/random.ts';
import { AudioFormatError, decodeBase64G711, decodeFrames } from './codec.ts';

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

describe('decodeBase64G711', () => {
  it('decodes every code as decodeFrames does, at each padding', () => {
    const codes = Uint8Array.from({ length: 258 }, (_, i) => (i * 37 + (i >> 8)) & 255);
    for (const codec of ['mulaw', 'alaw'] as const)
      for (const n of [256, 257, 258]) {
        const text = Buffer.from(codes.subarray(0, n)).toString('base64');
        expect(Array.from(decodeBase64G711(text, codec)!)).toEqual(
          Array.from(decodeFrames(codes.subarray(0, n), codec, 1)[0]!),
        );
      }
  });

  it('accepts exactly what z.base64().min(1) accepts (the check it replaces), and decodes as Buffer does', () => {
    const zod = z.base64().min(1);
    // Digits, padding in and out of place, whitespace, base64url digits, non-ASCII (é & 127 is a digit).
    const alphabet = ['A', 'Q', 'z', '9', '+', '/', '=', ' ', '\n', '-', '_', '\u00e9', '\u0141'];
    const random = seededRandom('base64 equivalence');
    const texts = ['', 'AA==', 'AAA=', 'A===', '====', 'AA=A', 'AB==', 'QUJD', 'QUJD\n', ' QUJD'];
    for (let k = 0; k < 20_000; k++)
      texts.push(
        Array.from(
          { length: 4 * Math.floor(random() * 4) + (random() < 0.2 ? Math.floor(random() * 4) : 0) },
          // Mostly digits, so that valid texts are common.
          () => alphabet[random() < 0.8 ? Math.floor(random() * 4) : Math.floor(random() * alphabet.length)],
        ).join(''),
      );
    const bytesOf = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    const decodedByBuffer = (text: string) =>
      bytesOf(decodeFrames(Buffer.from(text, 'base64'), 'mulaw', 1)[0]!);
    const disagree: string[] = [];
    let valid = 0;
    for (const text of texts) {
      const samples = decodeBase64G711(text, 'mulaw');
      const same = samples
        ? zod.safeParse(text).success && bytesOf(samples).equals(decodedByBuffer(text))
        : !zod.safeParse(text).success;
      if (!same) disagree.push(text);
      if (samples) valid++;
    }
    expect(disagree).toEqual([]);
    expect(valid).toBeGreaterThan(1000);
    expect(texts.length - valid).toBeGreaterThan(1000);
  });
});
