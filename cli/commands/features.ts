import type { Command } from 'commander';
import { type CommanderError, Option } from 'commander';
import { resample } from '../../core/audio/resample.ts';
import type { WavAudio } from '../../core/audio/wav.ts';
import { readWav, WavError } from '../../core/audio/wav.ts';
import type { Settings } from '../../core/config/env.ts';
import { chromaStft } from '../../core/features/chroma.ts';
import { FeatureError, sampleRate } from '../../core/features/errors.ts';
import { logMelSpectrogram } from '../../core/features/logmel.ts';
import type { FeatureMatrix } from '../../core/features/matrix.ts';
import { melSpectrogram } from '../../core/features/mel.ts';
import { mfcc } from '../../core/features/mfcc.ts';
import { spectralBandwidth, spectralCentroid, spectralRolloff } from '../../core/features/spectral.ts';
import { rms, zeroCrossingRate } from '../../core/features/temporal.ts';
import { type MaxFileFlag, maxFileBytes, maxFileOption, readInputAudio } from '../audio.ts';
import { CliError } from '../errors.ts';
import { intOption } from '../flags.ts';

/** Parsed command-line options, librosa's names in camelCase; undefined = librosa's default. */
export interface FeatureCliOptions extends MaxFileFlag {
  kind: FeatureKind;
  json: boolean;
  sr?: number;
  nFft?: number;
  hopLength?: number;
  winLength?: number;
  frameLength?: number;
  nMels?: number;
  nMfcc?: number;
  fmin?: number;
  fmax?: number;
  /** 'none' disables the clamp (top_db=None). */
  topDb?: number | 'none';
  center?: boolean;
}

type Group = 'stft' | 'mel' | 'frame';

/** Each kind: the librosa call it mirrors and which option groups apply to it. */
const KINDS = {
  mel: { groups: ['stft', 'mel'], librosa: 'feature.melspectrogram' },
  logmel: { groups: ['stft', 'mel'], librosa: 'power_to_db(feature.melspectrogram)' },
  mfcc: { groups: ['stft', 'mel'], librosa: 'feature.mfcc' },
  chroma: { groups: ['stft'], librosa: 'feature.chroma_stft' },
  centroid: { groups: ['stft'], librosa: 'feature.spectral_centroid' },
  bandwidth: { groups: ['stft'], librosa: 'feature.spectral_bandwidth' },
  rolloff: { groups: ['stft'], librosa: 'feature.spectral_rolloff' },
  zcr: { groups: ['frame'], librosa: 'feature.zero_crossing_rate' },
  rms: { groups: ['frame'], librosa: 'feature.rms' },
} as const satisfies Record<string, { groups: readonly Group[]; librosa: string }>;

export type FeatureKind = keyof typeof KINDS;

/** Which group each option belongs to (sr, kind, json, center and hop apply to every kind). */
const OPTION_GROUP: Partial<Record<keyof FeatureCliOptions, { group: Group; flag: string }>> = {
  nFft: { group: 'stft', flag: '--n-fft' },
  winLength: { group: 'stft', flag: '--win-length' },
  nMels: { group: 'mel', flag: '--n-mels' },
  fmin: { group: 'mel', flag: '--fmin' },
  fmax: { group: 'mel', flag: '--fmax' },
  topDb: { group: 'mel', flag: '--top-db' },
  frameLength: { group: 'frame', flag: '--frame-length' },
};

function usage(message: string): CliError {
  return new CliError(message, 'USAGE');
}

const integer = (flag: string) => intOption(flag, { min: 1 });

const hz = (flag: string) => (value: string) => {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0)
    throw usage(`${flag} must be a frequency in Hz, got '${value}'`);
  return v;
};

function parseCenter(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw usage(`--center must be true or false, got '${value}'`);
}

// 'none' rather than null: commander turns a parser's null into ''.
function parseTopDb(value: string): number | 'none' {
  if (value === 'none') return value;
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0)
    throw usage(`--top-db must be a non-negative number or none, got '${value}'`);
  return v;
}

/** librosa.load(path, sr=None, mono=True): the mean of the channels. */
export function downmix(audio: WavAudio): Float32Array {
  const { channels } = audio;
  if (channels.length === 1) return channels[0]!;
  const n = channels[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i]!;
    out[i] = sum / channels.length;
  }
  return out;
}

/** The feature matrix the command prints, computed exactly as the named librosa call with these options. */
export function computeFeature(y: Float32Array, sr: number, o: FeatureCliOptions): FeatureMatrix {
  const stft = { nFft: o.nFft, hopLength: o.hopLength, winLength: o.winLength, center: o.center };
  const topDb = o.topDb === 'none' ? null : o.topDb;
  const mel = { ...stft, sr, nMels: o.nMels, fmin: o.fmin, fmax: o.fmax, topDb };
  const frame = { frameLength: o.frameLength, hopLength: o.hopLength, center: o.center };
  switch (o.kind) {
    case 'mel':
      return melSpectrogram(y, mel);
    case 'logmel':
      return logMelSpectrogram(y, mel);
    case 'mfcc':
      return mfcc(y, { ...mel, nMfcc: o.nMfcc });
    case 'chroma':
      return chromaStft(y, { ...stft, sr });
    case 'centroid':
      return spectralCentroid(y, { ...stft, sr });
    case 'bandwidth':
      return spectralBandwidth(y, { ...stft, sr });
    case 'rolloff':
      return spectralRolloff(y, { ...stft, sr });
    case 'zcr':
      return zeroCrossingRate(y, frame);
    case 'rms':
      return rms(y, frame);
  }
}

function checkApplicable(o: FeatureCliOptions): void {
  const groups: readonly Group[] = KINDS[o.kind].groups;
  for (const [key, spec] of Object.entries(OPTION_GROUP)) {
    if (spec && o[key as keyof FeatureCliOptions] !== undefined && !groups.includes(spec.group)) {
      throw usage(`${spec.flag} does not apply to --kind ${o.kind}`);
    }
  }
  if (o.nMfcc !== undefined && o.kind !== 'mfcc') throw usage(`--n-mfcc applies to --kind mfcc only`);
  if (o.topDb !== undefined && o.kind === 'mel')
    throw usage('--top-db applies to --kind logmel and mfcc only');
}

async function load(file: string, maxBytes: number): Promise<WavAudio> {
  const bytes = await readInputAudio(file, maxBytes);
  try {
    return readWav(bytes);
  } catch (err) {
    if (err instanceof WavError) throw usage(`${file}: not a readable WAV file (${err.message})`);
    throw err;
  }
}

function summary(file: string, audio: WavAudio, sr: number, o: FeatureCliOptions, m: FeatureMatrix): string {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of m.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const n = audio.channels[0]?.length ?? 0;
  const hop = o.hopLength ?? 512;
  return [
    `${file}: ${audio.sampleRate} Hz ${audio.format}, ${audio.channels.length} channel(s), ${((1000 * n) / audio.sampleRate).toFixed(0)} ms`,
    `${o.kind} (librosa.${KINDS[o.kind].librosa}) at ${sr} Hz: ${m.rows} x ${m.cols} (features x frames), hop ${hop} samples = ${((1000 * hop) / sr).toFixed(2)} ms`,
    `min ${min.toPrecision(6)}  max ${max.toPrecision(6)}  mean ${(sum / m.data.length).toPrecision(6)}`,
    '',
  ].join('\n');
}

/** Rows of the matrix as JSON arrays, written in pieces so large outputs need no giant string. */
function writeJson(m: FeatureMatrix): void {
  process.stdout.write(`{"shape":[${m.rows},${m.cols}],"data":[`);
  for (let r = 0; r < m.rows; r++) {
    const row = Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols));
    process.stdout.write(`${r ? ',' : ''}[${row.join(',')}]`);
  }
  process.stdout.write(']}\n');
}

async function run(file: string, o: FeatureCliOptions, settings: Settings): Promise<void> {
  checkApplicable(o);
  const audio = await load(file, maxFileBytes(o, settings));
  let y = downmix(audio);
  const sr = o.sr ?? audio.sampleRate;
  let m: FeatureMatrix;
  try {
    // Checked before resampling, which a rate far out of range would take down.
    if (sr !== audio.sampleRate) y = resample(y, audio.sampleRate, sampleRate('sr', sr));
    m = computeFeature(y, sr, o);
  } catch (err) {
    if (err instanceof FeatureError) throw usage(`${file}: ${err.message}`);
    throw err;
  }
  // A reader that stops early (`| head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  if (o.json) writeJson(m);
  else process.stdout.write(summary(file, audio, sr, o, m));
}

export function registerFeaturesCommand(program: Command, settings: Settings): void {
  program
    .command('features <file>')
    .description('compute librosa-equal features of a WAV file (librosa defaults where an option is omitted)')
    .addOption(
      new Option('--kind <kind>', 'feature to compute').choices(Object.keys(KINDS)).makeOptionMandatory(),
    )
    .option('--json', 'print {"shape":[rows,cols],"data":[[...],...]} (features x frames)', false)
    .option('--sr <hz>', 'resample to this rate first (default: the file rate)', integer('--sr'))
    .option('--n-fft <n>', 'FFT size, a power of two (default 2048)', integer('--n-fft'))
    .option('--hop-length <n>', 'samples between frames (default 512)', integer('--hop-length'))
    .option('--win-length <n>', 'Hann window length (default n_fft)', integer('--win-length'))
    .option('--frame-length <n>', 'zcr / rms frame length (default 2048)', integer('--frame-length'))
    .option('--n-mels <n>', 'mel bands (default 128)', integer('--n-mels'))
    .option('--n-mfcc <n>', 'MFCCs (default 20)', integer('--n-mfcc'))
    .option('--fmin <hz>', 'lowest mel frequency (default 0)', hz('--fmin'))
    .option('--fmax <hz>', 'highest mel frequency (default sr / 2)', hz('--fmax'))
    .option('--top-db <db|none>', 'power_to_db clamp for logmel / mfcc (default 80)', parseTopDb)
    .option('--center <bool>', 'centre frames with zero padding: true|false (default true)', parseCenter)
    .addOption(maxFileOption())
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => {} })
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) process.exit(0); // --help
      throw usage(err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
    })
    .action((file: string, options: FeatureCliOptions) => run(file, options, settings));
}
