import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { seededRandom } from '../random.ts';
import { decodeAlaw, decodeUlaw } from './g711.ts';
import {
  readWav,
  readWavFile,
  readWavInfo,
  type SampleFormat,
  WavError,
  type WavErrorCode,
  writeWav,
} from './wav.ts';

const rng = (seed: number): (() => number) => seededRandom(String(seed));

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function u16(v: number): Uint8Array {
  return new Uint8Array(new Uint16Array([v]).buffer);
}

function u32(v: number): Uint8Array {
  return new Uint8Array(new Uint32Array([v]).buffer);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A chunk with its pad byte; `size` overrides the declared size (to build lying headers). */
function chunk(id: string, body: Uint8Array, size = body.length): Uint8Array {
  return concat(ascii(id), u32(size), body, new Uint8Array(body.length & 1));
}

function fmtBody(tag: number, channels: number, rate: number, bits: number, blockAlign?: number): Uint8Array {
  const align = blockAlign ?? (channels * bits) / 8;
  return concat(u16(tag), u16(channels), u32(rate), u32(rate * align), u16(align), u16(bits));
}

function extensibleBody(subTag: number, channels: number, rate: number, bits: number, guidTail?: number[]) {
  const tail = guidTail ?? [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  return concat(
    fmtBody(0xfffe, channels, rate, bits),
    u16(22),
    u16(bits),
    u32(3),
    u32(subTag),
    Uint8Array.from(tail),
  );
}

function riff(chunks: Uint8Array[], riffSize?: number): Uint8Array {
  const body = concat(ascii('WAVE'), ...chunks);
  return concat(ascii('RIFF'), u32(riffSize ?? body.length), body);
}

function expectWavError(fn: () => unknown, code: WavErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(WavError);
  expect((thrown as WavError).code).toBe(code);
}

/** Exactly representable test signals per format, so a round trip must be lossless. */
function representable(format: SampleFormat, n: number, seed: number): Float32Array {
  const r = rng(seed);
  const ulaw = decodeUlaw(Uint8Array.from({ length: 256 }, (_, i) => i));
  const alaw = decodeAlaw(Uint8Array.from({ length: 256 }, (_, i) => i));
  const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  return Float32Array.from({ length: n }, () => {
    switch (format) {
      case 'pcm8':
        return pick(-128, 127) / 128;
      case 'pcm16':
        return pick(-32768, 32767) / 32768;
      case 'pcm24':
        return pick(-8388608, 8388607) / 8388608;
      case 'pcm32':
        return (pick(-8388608, 8388607) * 256) / 2147483648;
      case 'float32':
      case 'float64':
        return (r() - 0.5) * 4;
      case 'mulaw':
        return ulaw[pick(0, 255)]! / 32768;
      case 'alaw':
        return alaw[pick(0, 255)]! / 32768;
    }
  });
}

const FORMATS: SampleFormat[] = ['pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32', 'float64', 'mulaw', 'alaw'];

describe('writeWav → readWav round trip', () => {
  for (const format of FORMATS) {
    for (const channelCount of [1, 2, 5]) {
      it(`${format}, ${channelCount} channel(s) is lossless`, () => {
        const channels = Array.from({ length: channelCount }, (_, c) =>
          representable(format, 301, 17 * c + 1),
        );
        const bytes = writeWav({ sampleRate: 22050, channels }, format);
        const audio = readWav(bytes);
        expect(audio.format).toBe(format);
        expect(audio.sampleRate).toBe(22050);
        expect(audio.channels).toEqual(channels);
        expect(readWavInfo(bytes)).toEqual({
          sampleRate: 22050,
          format,
          channelCount,
          frameCount: 301,
          durationMs: (301 * 1000) / 22050,
        });
      });
    }
  }

  it('writes fmt 16 for PCM, fmt 18 + fact (frame count) for others, and pads odd data', () => {
    const pcm = writeWav({ sampleRate: 8000, channels: [new Float32Array(3)] }, 'pcm8');
    expect(new DataView(pcm.buffer).getUint32(16, true)).toBe(16);
    expect(pcm.length).toBe(44 + 3 + 1);
    expect(new DataView(pcm.buffer).getUint32(4, true)).toBe(pcm.length - 8);
    const ulaw = writeWav({ sampleRate: 8000, channels: [new Float32Array(5)] }, 'mulaw');
    const view = new DataView(ulaw.buffer);
    expect(view.getUint32(16, true)).toBe(18);
    expect(String.fromCharCode(...ulaw.subarray(38, 42))).toBe('fact');
    expect(view.getUint32(46, true)).toBe(5);
    expect(ulaw.length).toBe(58 + 5 + 1);
  });

  it('clips and rounds floats like libsndfile (scale 2^(bits-1), half to even, saturate)', () => {
    const x = Float32Array.from([1.5, -1.5, 1, 0.5 / 32768, 1.5 / 32768, -2.5 / 32768]);
    expect(Array.from(readWav(writeWav({ sampleRate: 8000, channels: [x] }, 'pcm16')).channels[0]!)).toEqual(
      [32767, -32768, 32767, 0, 2, -2].map((v) => v / 32768),
    );
    const p8 = writeWav({ sampleRate: 8000, channels: [Float32Array.from([2, -2, 0])] }, 'pcm8');
    expect(Array.from(p8.subarray(44, 47))).toEqual([255, 0, 128]);
    const ulaw = writeWav({ sampleRate: 8000, channels: [Float32Array.from([5, -5])] }, 'mulaw');
    expect(Array.from(ulaw.subarray(58, 60))).toEqual([0x80, 0x00]);
  });

  it('rejects bad writer input with BAD_INPUT', () => {
    const ok = new Float32Array(4);
    expectWavError(() => writeWav({ sampleRate: 8000, channels: [] }, 'pcm16'), 'BAD_INPUT');
    expectWavError(() => writeWav({ sampleRate: 0, channels: [ok] }, 'pcm16'), 'BAD_INPUT');
    expectWavError(() => writeWav({ sampleRate: 8000.5, channels: [ok] }, 'pcm16'), 'BAD_INPUT');
    expectWavError(
      () => writeWav({ sampleRate: 8000, channels: [ok, new Float32Array(3)] }, 'pcm16'),
      'BAD_INPUT',
    );
    expectWavError(
      () => writeWav({ sampleRate: 8000, channels: [Float32Array.of(Number.NaN)] }, 'mulaw'),
      'BAD_INPUT',
    );
    expectWavError(
      () => writeWav({ sampleRate: 8000, channels: [ok] }, 'pcm12' as SampleFormat),
      'BAD_INPUT',
    );
  });
});

describe('readWav decoding (hand-built files)', () => {
  it('decodes integer PCM exactly as libsndfile: (u8-128)/128, int/2^(bits-1), little-endian', () => {
    const p8 = readWav(
      riff([chunk('fmt ', fmtBody(1, 1, 8000, 8)), chunk('data', Uint8Array.of(0, 128, 255))]),
    );
    expect(Array.from(p8.channels[0]!)).toEqual([-1, 0, 127 / 128]);
    const p24 = readWav(
      riff([
        chunk('fmt ', fmtBody(1, 1, 8000, 24)),
        chunk('data', Uint8Array.of(0xff, 0xff, 0xff, 0, 0, 0x80)),
      ]),
    );
    expect(Array.from(p24.channels[0]!)).toEqual([-1 / 8388608, -1]);
    const p32 = readWav(
      riff([chunk('fmt ', fmtBody(1, 1, 8000, 32)), chunk('data', concat(u32(0x80000000), u32(0x40000000)))]),
    );
    expect(Array.from(p32.channels[0]!)).toEqual([-1, 0.5]);
  });

  it('deinterleaves stereo into agent (left) and customer (right)', () => {
    const data = concat(u16(1000), u16(0xffff), u16(2000), u16(0xfffe));
    const audio = readWav(riff([chunk('fmt ', fmtBody(1, 2, 8000, 16)), chunk('data', data)]));
    expect(Array.from(audio.channels[0]!)).toEqual([1000 / 32768, 2000 / 32768]);
    expect(Array.from(audio.channels[1]!)).toEqual([-1 / 32768, -2 / 32768]);
  });

  it('decodes µ-law and A-law through the G.711 tables / 32768', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const [tag, decode] of [
      [7, decodeUlaw],
      [6, decodeAlaw],
    ] as const) {
      const audio = readWav(riff([chunk('fmt ', fmtBody(tag, 1, 8000, 8)), chunk('data', codes)]));
      expect(audio.channels[0]).toEqual(Float32Array.from(decode(codes), (v) => v / 32768));
    }
  });

  it('reads WAVE_FORMAT_EXTENSIBLE PCM, float and µ-law sub-formats', () => {
    const pcm = readWav(
      riff([chunk('fmt ', extensibleBody(1, 1, 48000, 24)), chunk('data', Uint8Array.of(0, 0, 0x40))]),
    );
    expect(pcm.format).toBe('pcm24');
    expect(Array.from(pcm.channels[0]!)).toEqual([0.5]);
    const float = readWav(
      riff([
        chunk('fmt ', extensibleBody(3, 1, 48000, 32)),
        chunk('data', new Uint8Array(new Float32Array([0.25]).buffer)),
      ]),
    );
    expect(float.format).toBe('float32');
    expect(Array.from(float.channels[0]!)).toEqual([0.25]);
    expect(
      readWav(riff([chunk('fmt ', extensibleBody(7, 1, 8000, 8)), chunk('data', Uint8Array.of(0xff))]))
        .format,
    ).toBe('mulaw');
    const badGuid = extensibleBody(1, 1, 8000, 16, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expectWavError(
      () => readWav(riff([chunk('fmt ', badGuid), chunk('data', new Uint8Array(2))])),
      'UNSUPPORTED_FORMAT',
    );
  });

  it('skips unknown and odd-sized chunks (pad byte) before, between and after fmt/data', () => {
    const bytes = riff([
      chunk('LIST', ascii('INFOabc')),
      chunk('fmt ', fmtBody(1, 1, 16000, 16)),
      chunk('junk', Uint8Array.of(9)),
      chunk('fact', u32(1)),
      chunk('data', u16(0x4000)),
      chunk('LIST', ascii('xyz')),
    ]);
    expect(Array.from(readWav(bytes).channels[0]!)).toEqual([0.5]);
  });

  it('accepts data before fmt', () => {
    const audio = readWav(riff([chunk('data', u16(0x4000)), chunk('fmt ', fmtBody(1, 1, 16000, 16))]));
    expect(Array.from(audio.channels[0]!)).toEqual([0.5]);
  });

  it('ignores the RIFF size and takes the rest of the file for streaming placeholders', () => {
    const fmt = chunk('fmt ', fmtBody(1, 1, 8000, 16));
    const samples = concat(u16(1), u16(2), u16(3));
    for (const placeholder of [0, 0xffffffff]) {
      const bytes = riff([fmt, chunk('data', samples, placeholder)], placeholder);
      expect(readWav(bytes).channels[0]!.length).toBe(3);
    }
    // A genuine empty data chunk (RIFF size consistent) stays empty.
    const empty = riff([fmt, chunk('data', new Uint8Array(0)), chunk('LIST', ascii('INFO'))]);
    expect(readWav(empty).channels[0]!.length).toBe(0);
  });

  it('clamps a data chunk that runs past the end and drops a partial trailing frame', () => {
    const fmt = chunk('fmt ', fmtBody(1, 2, 8000, 16));
    const lying = riff([fmt, chunk('data', new Uint8Array(10), 1000)]);
    expect(readWavInfo(lying).frameCount).toBe(2);
    const ragged = riff([fmt, chunk('data', new Uint8Array(11))]);
    const audio = readWav(ragged);
    expect(audio.channels.map((c) => c.length)).toEqual([2, 2]);
  });

  const fmt16 = chunk('fmt ', fmtBody(1, 1, 8000, 16));
  const data2 = chunk('data', new Uint8Array(2));
  const errorCases: [string, Uint8Array, WavErrorCode][] = [
    ['empty', new Uint8Array(0), 'EMPTY'],
    ['a RIFF prefix only', ascii('RIF'), 'TRUNCATED'],
    ['RIFF without form type', ascii('RIFF\0\0\0\0WA'), 'TRUNCATED'],
    ['not RIFF', ascii('OggS0000WAVE'), 'NOT_RIFF'],
    ['big-endian RIFX', ascii('RIFX0000WAVE'), 'UNSUPPORTED_FORMAT'],
    ['RIFF but AVI', ascii('RIFF0000AVI LIST'), 'NOT_WAVE'],
    ['no fmt', riff([data2]), 'NO_FMT'],
    ['no data', riff([fmt16]), 'NO_DATA'],
    ['fmt cut short', riff([fmt16]).subarray(0, 30), 'TRUNCATED'],
    ['fmt shorter than 16', riff([chunk('fmt ', new Uint8Array(14)), data2]), 'BAD_HEADER'],
    ['zero channels', riff([chunk('fmt ', fmtBody(1, 0, 8000, 16, 2)), data2]), 'BAD_HEADER'],
    ['zero sample rate', riff([chunk('fmt ', fmtBody(1, 1, 0, 16)), data2]), 'BAD_HEADER'],
    ['absurd sample rate', riff([chunk('fmt ', fmtBody(1, 1, 50_000_000, 16)), data2]), 'BAD_HEADER'],
    ['block align inconsistent', riff([chunk('fmt ', fmtBody(1, 2, 8000, 16, 2)), data2]), 'BAD_HEADER'],
    ['ADPCM', riff([chunk('fmt ', fmtBody(2, 1, 8000, 4, 1)), data2]), 'UNSUPPORTED_FORMAT'],
    ['12-bit PCM', riff([chunk('fmt ', fmtBody(1, 1, 8000, 12, 2)), data2]), 'UNSUPPORTED_FORMAT'],
    ['16-bit µ-law', riff([chunk('fmt ', fmtBody(7, 1, 8000, 16)), data2]), 'UNSUPPORTED_FORMAT'],
    ['short extensible fmt', riff([chunk('fmt ', fmtBody(0xfffe, 1, 8000, 16)), data2]), 'BAD_HEADER'],
    [
      'NaN float sample',
      riff([
        chunk('fmt ', fmtBody(3, 1, 8000, 32)),
        chunk('data', new Uint8Array(new Float32Array([Number.NaN]).buffer)),
      ]),
      'BAD_SAMPLES',
    ],
    [
      'float64 overflowing float32',
      riff([
        chunk('fmt ', fmtBody(3, 1, 8000, 64)),
        chunk('data', new Uint8Array(new Float64Array([1e300]).buffer)),
      ]),
      'BAD_SAMPLES',
    ],
  ];
  it.each(errorCases)('%s → %s', (_name, bytes, code) => {
    expectWavError(() => readWav(bytes), code);
    if (code !== 'BAD_SAMPLES') expectWavError(() => readWavInfo(bytes), code);
  });
});

describe('robustness: any input parses or throws WavError', () => {
  function checkParsesOrWavError(bytes: Uint8Array): 'ok' | WavErrorCode {
    try {
      const audio = readWav(bytes);
      const frames = audio.channels[0]!.length;
      for (const channel of audio.channels) {
        if (channel.length !== frames || !channel.every(Number.isFinite)) throw new Error('garbage audio');
      }
      return 'ok';
    } catch (e) {
      if (e instanceof WavError) return e.code;
      throw e;
    }
  }

  const samples = (format: SampleFormat) => [representable(format, 40, 3), representable(format, 40, 4)];
  const files = FORMATS.map((format) => {
    const written = writeWav({ sampleRate: 8000, channels: samples(format) }, format);
    // Put a LIST chunk in front so truncation also cuts through an unknown chunk.
    return concat(written.subarray(0, 12), chunk('LIST', ascii('INFOISFT')), written.subarray(12));
  });

  it('truncation at every byte offset', () => {
    const outcomes = new Set<string>();
    for (const file of files) {
      for (let end = 0; end <= file.length; end++) outcomes.add(checkParsesOrWavError(file.subarray(0, end)));
    }
    expect(outcomes).toContain('ok');
    expect(outcomes).toContain('TRUNCATED');
  });

  it('random header corruption (seeded)', () => {
    const random = rng(20240611);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const file = files[i % files.length]!.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) file[Math.floor(random() * 90)] = Math.floor(random() * 256);
      const outcome = checkParsesOrWavError(file);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(outcomes.get('ok')).toBeGreaterThan(0);
    expect(outcomes.size).toBeGreaterThan(3);
  });
});

describe('readWavFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wav-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file from disk', async () => {
    const channels = [representable('pcm16', 100, 9)];
    const path = join(dir, 'a.wav');
    writeFileSync(path, writeWav({ sampleRate: 16000, channels }, 'pcm16'));
    expect((await readWavFile(path)).channels).toEqual(channels);
  });
});

describeWithCorpus('real telephony corpus files', (root) => {
  function wavFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory() ? wavFiles(join(dir, e.name)) : e.name.endsWith('.wav') ? [join(dir, e.name)] : [],
      )
      .sort();
  }

  it('every file is 8 kHz mono µ-law and decodes to decodeUlaw(raw bytes) / 32768', async () => {
    const paths = wavFiles(root);
    expect(paths.length).toBeGreaterThan(1000);
    for (const path of paths) {
      const bytes = new Uint8Array(readFileSync(path));
      // Independent of the reader: find the data chunk by its id and take its declared size.
      const at = Buffer.from(bytes).indexOf('data', 12, 'latin1');
      const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 4, true);
      const raw = bytes.subarray(at + 8, at + 8 + size);
      const audio = await readWavFile(path);
      expect({
        path,
        format: audio.format,
        sampleRate: audio.sampleRate,
        channels: audio.channels.length,
      }).toEqual({
        path,
        format: 'mulaw',
        sampleRate: 8000,
        channels: 1,
      });
      expect(raw.length).toBe(size);
      const decoded = audio.channels[0]!;
      const expected = decodeUlaw(raw);
      expect(decoded.length).toBe(expected.length);
      // A plain loop: toEqual on 5,000 long typed arrays takes minutes.
      const mismatch = expected.findIndex((v, i) => v / 32768 !== decoded[i]);
      expect({ path, mismatch }).toEqual({ path, mismatch: -1 });
    }
  });
});
