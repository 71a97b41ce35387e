// G.711 µ-law and A-law, bit-exact with ITU-T G.191 STL g711.c (ulaw_compress/ulaw_expand,
// alaw_compress/alaw_expand) applied to full-scale 16-bit samples: µ-law uses the 14 most
// significant bits, A-law the 13. Hand-written because it is hot and tiny; every law is a lookup
// table built once at load (64 KiB per encoder, 512 B per decoder).

const INT16_OFFSET = 32768;

/** One's complement magnitude, as the STL uses for negative samples (-1 → 0, -32768 → 32767). */
function magnitude(pcm16: number): number {
  return pcm16 < 0 ? ~pcm16 : pcm16;
}

function ulawEncodeFormula(pcm16: number): number {
  // 33 is the bias that aligns the µ-law segment thresholds with A-law's.
  const biased = Math.min((magnitude(pcm16) >> 2) + 33, 0x1fff);
  const segment = 32 - Math.clz32(biased >> 6) + 1;
  const mantissa = 15 - ((biased >> segment) & 15);
  const code = ((8 - segment) << 4) | mantissa;
  return pcm16 >= 0 ? code | 0x80 : code;
}

function ulawDecodeFormula(code: number): number {
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 7;
  const mantissa = inverted & 15;
  const step = 4 << (exponent + 1);
  const value = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
  return code < 0x80 ? -value : value;
}

function alawEncodeFormula(pcm16: number): number {
  let level = magnitude(pcm16) >> 4;
  if (level > 15) {
    let exponent = 1;
    while (level > 31) {
      level >>= 1;
      exponent++;
    }
    level = level - 16 + (exponent << 4);
  }
  if (pcm16 >= 0) level |= 0x80;
  return level ^ 0x55;
}

function alawDecodeFormula(code: number): number {
  const toggled = (code ^ 0x55) & 0x7f;
  const exponent = toggled >> 4;
  let mantissa = toggled & 15;
  if (exponent > 0) mantissa += 16;
  mantissa = (mantissa << 4) + 8;
  if (exponent > 1) mantissa <<= exponent - 1;
  return code > 127 ? mantissa : -mantissa;
}

function encodeTable(formula: (pcm16: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = formula(i - INT16_OFFSET);
  return table;
}

function decodeTable(formula: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = formula(code);
  return table;
}

const ULAW_DECODE_TABLE = decodeTable(ulawDecodeFormula);
const ALAW_DECODE_TABLE = decodeTable(alawDecodeFormula);
const ULAW_ENCODE_TABLE = encodeTable(ulawEncodeFormula);
const ALAW_ENCODE_TABLE = encodeTable(alawEncodeFormula);

function checkPcm16(pcm16: number): void {
  if (!Number.isInteger(pcm16) || pcm16 < -32768 || pcm16 > 32767) {
    throw new RangeError(`G.711 input must be an int16 sample, got ${pcm16}`);
  }
}

function checkCode(code: number): void {
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    throw new RangeError(`G.711 code must be an integer 0..255, got ${code}`);
  }
}

export function ulawEncode(pcm16: number): number {
  checkPcm16(pcm16);
  return ULAW_ENCODE_TABLE[pcm16 + INT16_OFFSET]!;
}

export function ulawDecode(code: number): number {
  checkCode(code);
  return ULAW_DECODE_TABLE[code]!;
}

export function alawEncode(pcm16: number): number {
  checkPcm16(pcm16);
  return ALAW_ENCODE_TABLE[pcm16 + INT16_OFFSET]!;
}

export function alawDecode(code: number): number {
  checkCode(code);
  return ALAW_DECODE_TABLE[code]!;
}

function encodeWith(table: Uint8Array, pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = table[pcm[i]! + INT16_OFFSET]!;
  return out;
}

function decodeWith(table: Int16Array, codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]!]!;
  return out;
}

export function encodeUlaw(pcm: Int16Array): Uint8Array {
  return encodeWith(ULAW_ENCODE_TABLE, pcm);
}

export function decodeUlaw(codes: Uint8Array): Int16Array {
  return decodeWith(ULAW_DECODE_TABLE, codes);
}

export function encodeAlaw(pcm: Int16Array): Uint8Array {
  return encodeWith(ALAW_ENCODE_TABLE, pcm);
}

export function decodeAlaw(codes: Uint8Array): Int16Array {
  return decodeWith(ALAW_DECODE_TABLE, codes);
}
