// Audio payload decoding for every ingress: G.711 µ-law / A-law or 16-bit linear PCM, mono or
// interleaved, to float samples per channel (int16 / 32768, as the WAV reader and the model use);
// and base64 text of G.711 (Twilio's media payloads) straight to samples.
import { decodeAlaw, decodeUlaw } from '../../../core/audio/g711.ts';
import { VoicePulseError } from '../../../core/errors.ts';

export const CODECS = ['pcm16', 'mulaw', 'alaw'] as const;
export type Codec = (typeof CODECS)[number];

export type AudioFormatErrorCode = 'PARTIAL_FRAME' | 'BAD_CHANNEL_TAG';

export class AudioFormatError extends VoicePulseError<AudioFormatErrorCode> {}

export function bytesPerSample(codec: Codec): number {
  return codec === 'pcm16' ? 2 : 1;
}

/**
 * Decodes `bytes` holding whole frames of `channels` interleaved samples; returns one array per
 * channel. pcm16 is little-endian.
 */
export function decodeFrames(bytes: Uint8Array, codec: Codec, channels: number): Float32Array[] {
  const frameBytes = bytesPerSample(codec) * channels;
  if (bytes.length % frameBytes !== 0)
    throw new AudioFormatError(
      'PARTIAL_FRAME',
      `${bytes.length} bytes is not a whole number of ${channels}-channel ${codec} frames (${frameBytes} bytes each)`,
    );
  const n = bytes.length / frameBytes;
  if (codec !== 'pcm16') return decodeG711(bytes, floatTable(codec), channels, n);
  const pcm = new Int16Array(n * channels);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < pcm.length; i++) pcm[i] = view.getInt16(2 * i, true);
  const out = Array.from({ length: channels }, () => new Float32Array(n));
  for (let c = 0; c < channels; c++) {
    const ch = out[c]!;
    for (let i = 0; i < n; i++) ch[i] = pcm[i * channels + c]! / 32768;
  }
  return out;
}

/** G.711 code → sample (int16 / 32768, the same floats), per codec, made on first use. */
const FLOAT_TABLES: Partial<Record<'mulaw' | 'alaw', Float32Array>> = {};

function floatTable(codec: 'mulaw' | 'alaw'): Float32Array {
  if (!FLOAT_TABLES[codec]) {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const pcm = codec === 'mulaw' ? decodeUlaw(codes) : decodeAlaw(codes);
    FLOAT_TABLES[codec] = Float32Array.from(pcm, (v) => v / 32768);
  }
  return FLOAT_TABLES[codec];
}

/** One table lookup per sample, no int16 buffer: this runs for every media message of every call. */
function decodeG711(bytes: Uint8Array, table: Float32Array, channels: number, n: number): Float32Array[] {
  const out = Array.from({ length: channels }, () => new Float32Array(n));
  for (let c = 0; c < channels; c++) {
    const ch = out[c]!;
    for (let i = 0; i < n; i++) ch[i] = table[bytes[i * channels + c]!]!;
  }
  return out;
}

const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** ASCII code → the 6 bits of that base64 digit, -1 for any other character. */
const SEXTETS = Int8Array.from({ length: 128 }, (_, c) => BASE64_DIGITS.indexOf(String.fromCharCode(c)));

/** The base64 digit at `i` of `text`; negative for anything else, non-ASCII included (no branch). */
function sextet(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return SEXTETS[c & 127]! | -(c >> 7);
}

/**
 * Base64 text of single-channel G.711 codes → its samples, as decodeFrames of the decoded bytes.
 * Undefined when the text is empty or not base64 as zod's `z.base64()` defines it: whole groups
 * of 4 digits, `=` padding (1 or 2) at the end only, nothing else (no whitespace).
 */
export function decodeBase64G711(text: string, codec: 'mulaw' | 'alaw'): Float32Array | undefined {
  // Hand-written, one pass, one allocation (no atob, Buffer or regex): every Twilio media message.
  const n = text.length;
  if (n === 0 || n % 4 !== 0) return undefined;
  const pad = text.charCodeAt(n - 1) !== 61 ? 0 : text.charCodeAt(n - 2) !== 61 ? 1 : 2;
  const table = floatTable(codec);
  const out = new Float32Array((n / 4) * 3 - pad);
  const whole = pad === 0 ? n : n - 4;
  // A negative digit shifted left stays negative: `bad` goes negative on any character not base64.
  let bad = 0;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const w =
      (sextet(text, i) << 18) |
      (sextet(text, i + 1) << 12) |
      (sextet(text, i + 2) << 6) |
      sextet(text, i + 3);
    bad |= w;
    out[o++] = table[(w >>> 16) & 255]!;
    out[o++] = table[(w >>> 8) & 255]!;
    out[o++] = table[w & 255]!;
  }
  if (pad > 0) {
    const w =
      (sextet(text, whole) << 18) |
      (sextet(text, whole + 1) << 12) |
      (pad === 1 ? sextet(text, whole + 2) << 6 : 0);
    bad |= w;
    out[o++] = table[(w >>> 16) & 255]!;
    if (pad === 1) out[o] = table[(w >>> 8) & 255]!;
  }
  return bad < 0 ? undefined : out;
}
