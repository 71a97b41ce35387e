// Audio payload decoding for every ingress: G.711 µ-law / A-law or 16-bit linear PCM, mono or
// interleaved, to float samples per channel (int16 / 32768, as the WAV reader and the model use).
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
