// Recorded-call audio of any container VoicePulse reads, decoded to float channels in chunks: WAV
// through the audio core (wav.ts), MP3, FLAC and Ogg/Opus through the wasm decoders of the
// wasm-audio-decoders family (no system ffmpeg). The container is recognised from the bytes, never
// from the file name.
// Policies: compressed input is fed to its decoder in slices of `chunkBytes`, so memory follows the
// slice, not the file (a WAV is read whole: its bytes are its samples); a stream whose sample rate or
// channel count changes midway is refused; decoder frame errors are tolerated while some audio
// decodes (a damaged frame is a gap), and a stream that decodes to nothing is an error.
// AAC/M4A is refused by name (NO_AAC says why).

import { VoicePulseError } from '../errors.ts';
import { readWav, readWavInfo, WavError } from './wav.ts';

export type AudioContainer = 'wav' | 'mp3' | 'flac' | 'ogg-opus';

export type DecodeErrorCode = 'EMPTY' | 'UNKNOWN_FORMAT' | 'UNSUPPORTED_FORMAT' | 'BAD_WAV' | 'CORRUPT';

export class DecodeError extends VoicePulseError<DecodeErrorCode> {}

/** Consecutive samples of every channel at one sample rate. */
export interface AudioChunk {
  sampleRate: number;
  channels: Float32Array[];
}

export interface DecodeOptions {
  /** Compressed bytes handed to the decoder at a time (default 256 KiB: about 30 s of 64 kbit/s MP3). */
  chunkBytes?: number;
}

export interface DecodedAudio extends AudioChunk {
  container: AudioContainer;
}

const DEFAULT_CHUNK_BYTES = 256 * 1024;
/** Frames per chunk yielded from a WAV (about 30 s at 8 kHz). */
const WAV_CHUNK_FRAMES = 1 << 18;

const NAMES: Record<AudioContainer, string> = {
  wav: 'WAV',
  mp3: 'MP3',
  flac: 'FLAC',
  'ogg-opus': 'Ogg/Opus',
};
const READ = 'WAV, MP3, FLAC and Ogg/Opus are read';
/**
 * Why AAC is not read. Looked for on npm: the maintained wasm AAC decoders build FAAD2 (GPL-2.0,
 * e.g. @audio/decode-aac); FFmpeg's LGPL build (@martel/audio-file-decoder) runs in browsers only
 * and does not load in Node; aac.js (`aac`) is an Aurora.js plugin for AAC-LC, unmaintained.
 */
const NO_AAC =
  'no maintained AAC decoder for Node on npm is free of the GPL (the maintained wasm ones are FAAD2, GPL-2.0); convert to FLAC or WAV';

const ascii = (bytes: Uint8Array, at: number, n: number) =>
  String.fromCharCode(...bytes.subarray(at, at + n));

/** The container of `bytes`, from their signature; throws DecodeError for anything not read. */
export function sniffContainer(bytes: Uint8Array): AudioContainer {
  if (bytes.length === 0) throw new DecodeError('EMPTY', 'no bytes');
  const head = ascii(bytes, 0, 4);
  if (head === 'RIFF' || head === 'RIFX' || head === 'RF64') return 'wav';
  if (head === 'fLaC') return 'flac';
  if (head === 'OggS') {
    // The first page's packet names the codec (OpusHead, \x01vorbis, \x7fFLAC, Speex   …).
    const segments = bytes[26] ?? 0;
    const body = 27 + segments;
    if (ascii(bytes, body, 8) === 'OpusHead') return 'ogg-opus';
    const codec = ascii(bytes, body + 1, 6).replace(/[^A-Za-z]/g, '') || 'unknown';
    throw new DecodeError('UNSUPPORTED_FORMAT', `Ogg stream of codec '${codec}' (${READ})`);
  }
  if (ascii(bytes, 4, 4) === 'ftyp')
    throw new DecodeError('UNSUPPORTED_FORMAT', `MP4/M4A (AAC) is not read: ${NO_AAC} (${READ})`);
  if (ascii(bytes, 0, 3) === 'ID3') return 'mp3';
  if (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0) {
    // MPEG audio frame sync; layer bits 00 are ADTS (raw AAC), not MPEG layer I/II/III.
    if (((bytes[1] ?? 0) & 0x06) === 0)
      throw new DecodeError('UNSUPPORTED_FORMAT', `raw AAC (ADTS) is not read: ${NO_AAC} (${READ})`);
    return 'mp3';
  }
  const hex = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new DecodeError('UNKNOWN_FORMAT', `not a WAV, MP3, FLAC or Ogg/Opus file (starts ${hex})`);
}

/** What every wasm decoder returns per call. */
interface WasmDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
  /** FLAC: bits per sample of the stream. */
  bitDepth?: number;
}

interface WasmDecoder {
  ready: Promise<void>;
  decode(data: Uint8Array): WasmDecoded | Promise<WasmDecoded>;
  flush?(): Promise<WasmDecoded>;
  free(): void;
}

/** Loaded on first use: each decoder is a wasm module only its container needs. */
async function wasmDecoder(container: Exclude<AudioContainer, 'wav'>): Promise<WasmDecoder> {
  switch (container) {
    case 'mp3': {
      const { MPEGDecoder } = await import('mpg123-decoder');
      return new MPEGDecoder();
    }
    case 'flac': {
      const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
      return new FLACDecoder();
    }
    case 'ogg-opus': {
      const { OggOpusDecoder } = await import('ogg-opus-decoder');
      return new OggOpusDecoder();
    }
  }
}

/** The chunks of one decoder output, checked against the stream's first rate and channel count. */
class ChunkChecker {
  private shape: { sampleRate: number; channels: number } | undefined;
  samples = 0;
  errors: string[] = [];

  constructor(private readonly container: AudioContainer) {}

  take(out: WasmDecoded): AudioChunk | undefined {
    for (const e of out.errors) this.errors.push(e.message);
    if (out.samplesDecoded === 0) return undefined;
    const shape = { sampleRate: out.sampleRate, channels: out.channelData.length };
    this.shape ??= shape;
    if (shape.sampleRate !== this.shape.sampleRate || shape.channels !== this.shape.channels)
      throw new DecodeError(
        'CORRUPT',
        `${NAMES[this.container]} stream changes from ${this.shape.channels} ch ${this.shape.sampleRate} Hz to ${shape.channels} ch ${shape.sampleRate} Hz`,
      );
    this.samples += out.samplesDecoded;
    // The FLAC decoder scales by 2^(b-1) - 1; libsndfile (and so wav.ts) by 2^(b-1): lossless
    // audio decodes to exactly the samples of the same audio as WAV.
    if (out.bitDepth) {
      const scale = (2 ** (out.bitDepth - 1) - 1) / 2 ** (out.bitDepth - 1);
      for (const c of out.channelData) for (let i = 0; i < out.samplesDecoded; i++) c[i]! *= scale;
    }
    return {
      sampleRate: out.sampleRate,
      channels: out.channelData.map((c) => c.subarray(0, out.samplesDecoded)),
    };
  }
}

/**
 * Decodes a whole recording (the file's bytes) into chunks of float samples in order. Throws
 * DecodeError (one line, naming the container) for anything unreadable.
 */
export async function* decodeAudio(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): AsyncGenerator<AudioChunk> {
  const container = sniffContainer(bytes);
  if (container === 'wav') {
    let audio: ReturnType<typeof readWav>;
    try {
      audio = readWav(bytes);
    } catch (err) {
      if (err instanceof WavError) throw new DecodeError('BAD_WAV', err.message, { cause: err });
      throw err;
    }
    const frames = audio.channels[0]?.length ?? 0;
    if (frames === 0) throw new DecodeError('EMPTY', 'WAV without samples');
    for (let at = 0; at < frames; at += WAV_CHUNK_FRAMES)
      yield {
        sampleRate: audio.sampleRate,
        channels: audio.channels.map((c) => c.subarray(at, at + WAV_CHUNK_FRAMES)),
      };
    return;
  }
  const step = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const decoder = await wasmDecoder(container);
  const check = new ChunkChecker(container);
  try {
    await decoder.ready;
    for (let at = 0; at < bytes.length; at += step) {
      const chunk = check.take(await decoder.decode(bytes.subarray(at, at + step)));
      if (chunk) yield chunk;
    }
    if (decoder.flush) {
      const chunk = check.take(await decoder.flush());
      if (chunk) yield chunk;
    }
  } finally {
    decoder.free();
  }
  if (check.samples === 0)
    throw new DecodeError(
      'CORRUPT',
      `${NAMES[container]} stream decoded to no audio${check.errors.length > 0 ? `: ${check.errors[0]}` : ''}`,
    );
}

/**
 * The oddities decoding `bytes` reads past, from the header alone: a WAV whose header lies about a
 * size (wav.ts's policies). Bytes that do not decode report none: decoding says why.
 */
export function headerWarnings(bytes: Uint8Array): string[] {
  const warnings: string[] = [];
  try {
    if (sniffContainer(bytes) === 'wav') readWavInfo(bytes, { onWarning: (m) => warnings.push(m) });
  } catch (err) {
    if (err instanceof DecodeError || err instanceof WavError) return [];
    throw err;
  }
  return warnings;
}

/** decodeAudio joined into one buffer per channel (short files, tests, classify). */
export async function decodeAll(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const container = sniffContainer(bytes);
  const chunks: AudioChunk[] = [];
  for await (const chunk of decodeAudio(bytes, options)) chunks.push(chunk);
  const first = chunks[0]!;
  const length = chunks.reduce((n, c) => n + c.channels[0]!.length, 0);
  const channels = first.channels.map((_, i) => {
    const out = new Float32Array(length);
    let at = 0;
    for (const c of chunks) {
      out.set(c.channels[i]!, at);
      at += c.channels[i]!.length;
    }
    return out;
  });
  return { container, sampleRate: first.sampleRate, channels };
}
