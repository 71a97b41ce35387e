import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  alawDecode,
  alawEncode,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  ulawDecode,
  ulawEncode,
} from './g711.ts';

// Vectors written by the ITU-T STL g711.c (see tools/reference/g711/README.md).
function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
}

function int16Fixture(name: string): Int16Array {
  const bytes = fixture(name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int16Array.from({ length: bytes.length / 2 }, (_, i) => view.getInt16(2 * i, true));
}

const ALL_INT16 = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

const laws = [
  {
    name: 'µ-law',
    encodeRef: fixture('ulaw-encode.bin'),
    decodeRef: int16Fixture('ulaw-decode.bin'),
    encode: ulawEncode,
    decode: ulawDecode,
    encodeBulk: encodeUlaw,
    decodeBulk: decodeUlaw,
  },
  {
    name: 'A-law',
    encodeRef: fixture('alaw-encode.bin'),
    decodeRef: int16Fixture('alaw-decode.bin'),
    encode: alawEncode,
    decode: alawDecode,
    encodeBulk: encodeAlaw,
    decodeBulk: decodeAlaw,
  },
];

describe.each(laws)('$name', (law) => {
  it('reference fixtures have the expected sizes', () => {
    expect(law.encodeRef.length).toBe(65536);
    expect(law.decodeRef.length).toBe(256);
  });

  it('encodes all 65,536 int16 inputs exactly like the ITU reference', () => {
    expect(law.encodeBulk(ALL_INT16)).toEqual(law.encodeRef);
    const scalar = Uint8Array.from(ALL_INT16, (x) => law.encode(x));
    expect(scalar).toEqual(law.encodeRef);
  });

  it('decodes all 256 codes exactly like the ITU reference', () => {
    expect(law.decodeBulk(ALL_CODES)).toEqual(law.decodeRef);
    const scalar = Int16Array.from(ALL_CODES, (c) => law.decode(c));
    expect(scalar).toEqual(law.decodeRef);
  });

  it('re-encoding a decoded code gives the same code (µ-law -0 = 0x7F becomes +0 = 0xFF)', () => {
    const expected = ALL_CODES.map((c) => (law.name === 'µ-law' && c === 0x7f ? 0xff : c));
    expect(law.encodeBulk(law.decodeBulk(ALL_CODES))).toEqual(expected);
  });

  it('rejects non-int16 samples and non-byte codes with RangeError', () => {
    for (const bad of [32768, -32769, 0.5, Number.NaN]) expect(() => law.encode(bad)).toThrow(RangeError);
    for (const bad of [-1, 256, 1.5, Number.NaN]) expect(() => law.decode(bad)).toThrow(RangeError);
  });
});

it('known values: µ-law 0xFF/0x7F are ±0, 0x00 is the negative peak; A-law 0xD5 is the +8 midpoint', () => {
  expect(ulawDecode(0xff)).toBe(0);
  expect(ulawDecode(0x7f)).toBe(0);
  expect(ulawDecode(0x00)).toBe(-32124);
  expect(ulawEncode(0)).toBe(0xff);
  expect(alawDecode(0xd5)).toBe(8);
  expect(alawEncode(0)).toBe(0xd5);
});
