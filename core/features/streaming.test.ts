import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import type { FeatureConfig } from './config.ts';
import { TELEPHONY_FEATURES } from './config.ts';
import { FeatureError } from './errors.ts';
import { logMelSpectrogram } from './logmel.ts';
import type { LogMelMfcc } from './logmel-mfcc.ts';
import { extractLogMelMfcc } from './logmel-mfcc.ts';
import type { FeatureMatrix } from './matrix.ts';
import { mfcc } from './mfcc.ts';
import { StreamingFeatureExtractor } from './streaming.ts';

const rng = (seed: number): (() => number) => seededRandom(String(seed));

/** Voiced-ish test audio: a gliding harmonic tone plus noise, with a silent gap. */
function testSignal(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const y = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * (120 + 80 * Math.sin(i / 4000))) / 8000;
    const gap = i > n / 3 && i < n / 3 + 1200 ? 0 : 1;
    y[i] = gap * (0.3 * Math.sin(phase) + 0.1 * Math.sin(3 * phase) + 0.02 * (r() - 0.5));
  }
  return y;
}

/** Runs the stream over y cut into the given chunk sizes (cycled) and concatenates all frames. */
function streamed(
  y: Float32Array,
  nextSize: () => number,
  config: FeatureConfig = TELEPHONY_FEATURES,
): LogMelMfcc {
  const s = new StreamingFeatureExtractor(config);
  const parts: LogMelMfcc[] = [];
  let frames = 0;
  const take = (out: ReturnType<StreamingFeatureExtractor['push']>) => {
    expect(out.firstFrame).toBe(frames);
    frames += out.logMel.cols;
    parts.push(out);
  };
  for (let i = 0; i < y.length; ) {
    const n = Math.min(nextSize(), y.length - i);
    take(s.push(y.subarray(i, i + n)));
    i += n;
  }
  take(s.flush());
  expect(s.framesEmitted).toBe(frames);
  expect(s.samplesReceived).toBe(y.length);
  const concat = (pick: (p: LogMelMfcc) => FeatureMatrix): FeatureMatrix => {
    const rows = pick(parts[0]!).rows;
    const data = new Float32Array(rows * frames);
    let col = 0;
    for (const p of parts) {
      const m = pick(p);
      for (let r = 0; r < rows; r++)
        data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), r * frames + col);
      col += m.cols;
    }
    return { rows, cols: frames, data };
  };
  return { logMel: concat((p) => p.logMel), mfcc: concat((p) => p.mfcc) };
}

function expectIdentical(a: FeatureMatrix, b: FeatureMatrix): void {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  // Bit-for-bit: compare the raw bytes (also distinguishes -0 / NaN patterns).
  expect(
    Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
      Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
    ),
  ).toBe(true);
}

describe('StreamingFeatureExtractor', () => {
  const y = testSignal(3 * 8000 + 37, 1);
  const batch = extractLogMelMfcc(y, TELEPHONY_FEATURES);

  it('batch log-mel + MFCC equals the librosa-named functions bit for bit', () => {
    expect(batch.logMel.cols).toBe(1 + Math.floor(y.length / 80));
    expectIdentical(batch.logMel, logMelSpectrogram(y, TELEPHONY_FEATURES));
    expectIdentical(batch.mfcc, mfcc(y, TELEPHONY_FEATURES));
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`random chunking (seed ${seed}) yields exactly the batch frames`, () => {
      const r = rng(seed);
      // Log-uniform sizes from 1 sample to 10 s.
      const out = streamed(y, () => Math.max(1, Math.round(Math.exp(r() * Math.log(80_000)))));
      expectIdentical(out.logMel, batch.logMel);
      expectIdentical(out.mfcc, batch.mfcc);
    });
  }

  it('one chunk of the whole signal, and chunks of exactly one hop', () => {
    expectIdentical(streamed(y, () => y.length).logMel, batch.logMel);
    expectIdentical(streamed(y, () => 80).mfcc, batch.mfcc);
  });

  it('1-sample chunks on a short signal', () => {
    const short = testSignal(700, 9);
    const ref = extractLogMelMfcc(short, TELEPHONY_FEATURES);
    const out = streamed(short, () => 1);
    expectIdentical(out.logMel, ref.logMel);
    expectIdentical(out.mfcc, ref.mfcc);
  });

  it('signals shorter than one FFT, and the empty stream, match batch (librosa pads them)', () => {
    for (const n of [0, 1, 50, 255]) {
      const s = testSignal(n, 3);
      const ref = extractLogMelMfcc(s, TELEPHONY_FEATURES);
      expect(ref.logMel.cols).toBe(1 + Math.floor(n / 80));
      expectIdentical(streamed(s, () => 7).logMel, ref.logMel);
    }
  });

  it('emits a frame as soon as its last sample arrives', () => {
    const s = new StreamingFeatureExtractor();
    // Frame 0 spans samples [-128, 128): ready after 128 samples; frame 1 after 208.
    expect(s.push(y.subarray(0, 127)).logMel.cols).toBe(0);
    expect(s.push(y.subarray(127, 128)).logMel.cols).toBe(1);
    expect(s.push(y.subarray(128, 207)).logMel.cols).toBe(0);
    expect(s.push(y.subarray(207, 208)).firstFrame).toBe(1);
  });

  it('center=false streams equal batch, and a too-short stream fails like batch', () => {
    const config: FeatureConfig = { ...TELEPHONY_FEATURES, center: false };
    const ref = extractLogMelMfcc(y, config);
    const r = rng(11);
    expectIdentical(streamed(y, () => 1 + Math.floor(r() * 500), config).mfcc, ref.mfcc);
    const s = new StreamingFeatureExtractor(config);
    s.push(y.subarray(0, 100));
    expect(() => s.flush()).toThrow(FeatureError);
    expect(() => extractLogMelMfcc(y.subarray(0, 100), config)).toThrow(/fewer than the frame length/);
  });

  it('rejects pushes after flush until reset, and non-finite samples', () => {
    const s = new StreamingFeatureExtractor();
    s.push(y.subarray(0, 1000));
    const first = s.flush();
    expect(() => s.push(y.subarray(0, 10))).toThrow(expect.objectContaining({ code: 'STREAM_ENDED' }));
    expect(() => s.flush()).toThrow(FeatureError);
    s.reset();
    s.push(y.subarray(0, 1000));
    expectIdentical(s.flush().logMel, first.logMel);
    s.reset();
    expect(() => s.push(Float32Array.of(0, Number.NaN))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('refuses non-causal configurations', () => {
    const clamped = { ...TELEPHONY_FEATURES, topDb: 80 } as unknown as FeatureConfig;
    expect(() => new StreamingFeatureExtractor(clamped)).toThrow(FeatureError);
  });
});
