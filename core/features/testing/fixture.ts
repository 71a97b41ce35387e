// Loader for the librosa reference fixtures written by tools/reference/make_feature_fixtures.py
// (used by the tests; see fixtures/index.json for the case list).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromaStft, estimateTuning } from '../chroma.ts';
import { powerToDb } from '../db.ts';
import { delta } from '../delta.ts';
import { logMelSpectrogram } from '../logmel.ts';
import type { FeatureMatrix } from '../matrix.ts';
import { melFilterbank, melFilterbankMatrix, melSpectrogram } from '../mel.ts';
import { mfcc } from '../mfcc.ts';
import { spectralBandwidth, spectralCentroid, spectralRolloff } from '../spectral.ts';
import { stftPower } from '../stft.ts';
import { rms, zeroCrossingRate } from '../temporal.ts';
import { stftWindow } from '../window.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures');

interface ArrayRef {
  offset: number;
  shape: number[];
}

export interface ReferenceCase {
  id: string;
  kind: string;
  input: string;
  precision: 'float32' | 'float64';
  params: Record<string, number | boolean | string | null>;
  output: ArrayRef;
  note?: string;
}

interface Index {
  versions: Record<string, string>;
  dataFile: string;
  floatCount: number;
  signals: Record<string, ArrayRef & { sr: number }>;
  clips: Record<string, { path: string; sr: number; length: number; sumSquares: number }>;
  cases: ReferenceCase[];
}

export class ReferenceFixtures {
  readonly index: Index;
  private readonly data: Float32Array;

  constructor() {
    this.index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as Index;
    const bytes = readFileSync(join(DIR, this.index.dataFile));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.data = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < this.data.length; i++) this.data[i] = view.getFloat32(4 * i, true);
    if (this.data.length !== this.index.floatCount)
      throw new Error('reference.f32 does not match index.json');
  }

  array(ref: ArrayRef): Float32Array {
    const n = ref.shape.reduce((a, b) => a * b, 1);
    return this.data.subarray(ref.offset, ref.offset + n);
  }

  /** A 1-D or 2-D reference array as a matrix (1-D arrays become one row). */
  matrix(ref: ArrayRef): FeatureMatrix {
    const rows = ref.shape.length === 2 ? ref.shape[0]! : 1;
    const cols = ref.shape.length === 2 ? ref.shape[1]! : (ref.shape[0] ?? 1);
    return { rows, cols, data: this.array(ref) };
  }

  signal(name: string): { y: Float32Array; sr: number } {
    const s = this.index.signals[name];
    if (!s) throw new Error(`no reference signal ${name}`);
    return { y: this.array(s), sr: s.sr };
  }

  cases(kind?: string): ReferenceCase[] {
    return this.index.cases.filter((c) => kind === undefined || c.kind === kind);
  }
}

/** Runs one reference case through the TypeScript implementation (y: the case's input signal or matrix). */
export function computeCase(
  c: ReferenceCase,
  y: Float32Array,
  inputShape: number[] = [y.length],
): FeatureMatrix {
  // biome-ignore lint/suspicious/noExplicitAny: parameters come from JSON and map 1:1 onto option names.
  const p = c.params as any;
  switch (c.kind) {
    case 'window': {
      const w = stftWindow(p.winLength, p.nFft);
      return { rows: 1, cols: w.length, data: Float32Array.from(w) };
    }
    case 'mel_filterbank':
      return melFilterbankMatrix(melFilterbank(p));
    case 'stft_power':
      return stftPower(y, p);
    case 'melspectrogram':
      return melSpectrogram(y, p);
    case 'power_to_db':
      return powerToDb({ rows: inputShape[0]!, cols: inputShape[1]!, data: y }, p);
    case 'logmel':
      return logMelSpectrogram(y, p);
    case 'mfcc':
      return mfcc(y, p);
    case 'chroma_stft':
      return chromaStft(y, p);
    case 'estimate_tuning':
      return { rows: 1, cols: 1, data: Float32Array.of(estimateTuning(y, p)) };
    case 'zero_crossing_rate':
      return zeroCrossingRate(y, p);
    case 'rms':
      return rms(y, p);
    case 'spectral_centroid':
      return spectralCentroid(y, p);
    case 'spectral_bandwidth':
      return spectralBandwidth(y, p);
    case 'spectral_rolloff':
      return spectralRolloff(y, p);
    case 'delta':
      return delta({ rows: inputShape[0]!, cols: inputShape[1]!, data: y }, p);
    case 'delta_of_mfcc':
      return delta(mfcc(y, p), p);
    default:
      throw new Error(`unknown reference kind ${c.kind}`);
  }
}
