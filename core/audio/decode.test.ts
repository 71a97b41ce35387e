import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeMp3, LAME_DELAY, snrDb } from '../recordings/testing/audio.ts';
import {
  DecodeError,
  type DecodeErrorCode,
  decodeAll,
  decodeAudio,
  headerWarnings,
  sniffContainer,
} from './decode.ts';
import { resample } from './resample.ts';
import { readWav } from './wav.ts';

// Fixtures: one second of two swept tones (16 kHz, 16-bit stereo), as WAV and encoded by the
// reference flac and opusenc (tools/reference/recordings/make_decode_fixtures.sh).
const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const source = readWav(fixture('decode-source.wav'));

async function codeOf(bytes: Uint8Array): Promise<DecodeErrorCode | undefined> {
  try {
    await decodeAll(bytes);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return (err as DecodeError).code;
  }
}

describe('decodeAudio', () => {
  it('decodes FLAC to exactly the samples of the same audio as WAV (lossless)', async () => {
    const flac = await decodeAll(fixture('decode-source.flac'));
    expect(flac.container).toBe('flac');
    expect(flac.sampleRate).toBe(16000);
    expect(flac.channels).toHaveLength(2);
    for (let c = 0; c < 2; c++) expect(flac.channels[c]).toEqual(source.channels[c]);
  });

  it('decodes Ogg/Opus at 48 kHz to the WAV within the codec loss (> 30 dB SNR, no delay after pre-skip)', async () => {
    const opus = await decodeAll(fixture('decode-source.opus'));
    expect(opus.container).toBe('ogg-opus');
    expect(opus.sampleRate).toBe(48000);
    for (let c = 0; c < 2; c++) {
      const back = resample(opus.channels[c]!, 48000, 16000);
      expect(back.length).toBe(source.channels[c]!.length);
      expect(snrDb(source.channels[c]!, back, 0, 800)).toBeGreaterThan(30);
    }
  });

  it('decodes MP3 to the WAV within the codec loss (> 20 dB SNR after the encoder delay)', async () => {
    const mp3 = await decodeAll(await encodeMp3(source.channels, 16000, 64));
    expect(mp3.container).toBe('mp3');
    expect(mp3.sampleRate).toBe(16000);
    for (let c = 0; c < 2; c++) {
      expect(snrDb(source.channels[c]!, mp3.channels[c]!, LAME_DELAY, 800)).toBeGreaterThan(20);
      // …and the delay is the encoder's: one frame off is far worse.
      expect(snrDb(source.channels[c]!, mp3.channels[c]!, LAME_DELAY + 576, 800)).toBeLessThan(3);
    }
  });

  it('feeds compressed input in slices and yields the same audio as one slice', async () => {
    const bytes = fixture('decode-source.flac');
    const chunks = [];
    for await (const chunk of decodeAudio(bytes, { chunkBytes: 1000 })) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2); // 4096-sample FLAC frames
    const joined = new Float32Array(chunks.reduce((n, c) => n + c.channels[0]!.length, 0));
    let at = 0;
    for (const c of chunks) {
      joined.set(c.channels[1]!, at);
      at += c.channels[1]!.length;
    }
    expect(joined).toEqual(source.channels[1]);
  });

  it('reads every WAV the audio core reads, in chunks', async () => {
    const wav = await decodeAll(fixture('decode-source.wav'));
    expect(wav.container).toBe('wav');
    expect(wav.channels).toEqual(source.channels);
  });

  it('refuses what it cannot read with one line naming the formats it reads', async () => {
    expect(await codeOf(new Uint8Array())).toBe('EMPTY');
    expect(await codeOf(new TextEncoder().encode('hello, this is not audio'))).toBe('UNKNOWN_FORMAT');
    const m4a = new Uint8Array(32);
    m4a.set(new TextEncoder().encode('ftypM4A '), 4);
    // Both say why, and what to do instead.
    const why =
      /is not read: no maintained AAC decoder for Node on npm is free of the GPL .*; convert to FLAC or WAV/;
    expect(() => sniffContainer(m4a)).toThrow(/^UNSUPPORTED_FORMAT: MP4\/M4A \(AAC\) /);
    expect(() => sniffContainer(m4a)).toThrow(why);
    expect(() => sniffContainer(Uint8Array.from([0xff, 0xf1, 0x50, 0x80]))).toThrow(
      /^UNSUPPORTED_FORMAT: raw AAC \(ADTS\) /,
    );
    expect(() => sniffContainer(Uint8Array.from([0xff, 0xf1, 0x50, 0x80]))).toThrow(why);
    const vorbis = new Uint8Array(64);
    vorbis.set(new TextEncoder().encode('OggS'), 0);
    vorbis[26] = 1;
    vorbis.set(new TextEncoder().encode('\x01vorbis'), 28);
    expect(() => sniffContainer(vorbis)).toThrow(/Ogg stream of codec 'vorbis'/);
    expect(await codeOf(new TextEncoder().encode('RIFF\x04\x00\x00\x00WAVE'))).toBe('BAD_WAV');
    try {
      await decodeAll(new TextEncoder().encode('not audio'));
    } catch (err) {
      expect((err as Error).message).toMatch(/^UNKNOWN_FORMAT: not a WAV, MP3, FLAC or Ogg\/Opus file/);
    }
  });

  it('refuses a damaged compressed stream that decodes to nothing', async () => {
    const garbage = fixture('decode-source.flac').slice(0, 4000);
    garbage.fill(0x55, 100);
    expect(await codeOf(garbage)).toBe('CORRUPT');
    const mp3 = new Uint8Array(5000).fill(0x33);
    mp3.set([0x49, 0x44, 0x33], 0);
    expect(await codeOf(mp3)).toBe('CORRUPT');
  });

  it('tells from the header alone what decoding reads past: a WAV that lies about its sizes', () => {
    const wav = fixture('decode-source.wav').slice();
    expect(headerWarnings(wav)).toEqual([]);
    new DataView(wav.buffer).setUint32(4, 1_000_000, true);
    expect(headerWarnings(wav)).toEqual([`RIFF size says 1000008 bytes, the file has ${wav.length}`]);
    // Compressed containers and bytes that do not decode report nothing here.
    expect(headerWarnings(fixture('decode-source.flac'))).toEqual([]);
    expect(headerWarnings(new TextEncoder().encode('RIFF but no wave'))).toEqual([]);
  });
});
