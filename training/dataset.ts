// Training data: the six-class clips of every corpus present, their splits, and their frame
// descriptors under the clean and augmented channel variants, cached in .cache/ so epochs and
// retraining (cross-corpus runs) never recompute features.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeAll } from '../core/audio/decode.ts';
import { resample } from '../core/audio/resample.ts';
import { labelledSplits } from '../core/corpora/build-splits.ts';
import type { CorpusClip, CorpusId } from '../core/corpora/clip.ts';
import { type CorpusRoots, corpusRoots, type ScanOptions, scanCorpora } from '../core/corpora/scan.ts';
import { loadSplitManifest, type Split } from '../core/corpora/split-manifest.ts';
import { EMOTIONS, type Emotion } from '../core/emotions.ts';
import type { FeatureMatrix } from '../core/features/matrix.ts';
import { type FrontendConfig, frameDescriptors } from '../core/model/frontend.ts';
import { seededRandom, shuffled } from '../core/random.ts';
import { applyChannel, type ChannelSpec, randomChannel } from './augment.ts';
import { TrainingError } from './errors.ts';
import type { EvalItem } from './evaluate.ts';

export interface LabeledClip {
  clip: CorpusClip;
  emotion: Emotion;
  label: number;
  split: Split;
}

/** Protocol names per corpus overriding the manifest's defaults (e.g. tess: 'oaf-to-yaf'). */
export type ProtocolChoice = Partial<Record<CorpusId, string>>;

/**
 * Six-class clips of the corpora under dataRoot (and your own recordings, `scan.roots.custom`) with
 * their split: the committed manifest's, and for your recordings their computed speaker split.
 */
export function labeledClips(
  dataRoot: string,
  protocols: ProtocolChoice = {},
  scan: ScanOptions = {},
): LabeledClip[] {
  const clips = scanCorpora(dataRoot, scan);
  const own = clips.filter((c) => c.corpus === 'custom');
  const manifest =
    own.length > 0 ? loadSplitManifest().withCorpus('custom', labelledSplits(own)) : loadSplitManifest();
  return clips
    .filter((c): c is CorpusClip & { emotion: Emotion } => c.emotion !== null)
    .map((clip) => ({
      clip,
      emotion: clip.emotion,
      label: EMOTIONS.indexOf(clip.emotion),
      split: manifest.splitOf(clip, protocols[clip.corpus]),
    }));
}

/**
 * A channel variant: 'clean' is the file as stored (already 8 kHz G.711 µ-law); 'augN' draws a
 * random telephone channel per clip; the fixed 'noisyN' variants add noise at N dB SNR
 * (white, pink or babble per clip) for the robustness table; 'alaw-band' transcodes to A-law
 * after a 300–3400 Hz band limit.
 */
export type Variant = 'clean' | `aug${number}` | `noisy${number}` | 'alaw-band';

function channelFor(variant: Variant, seed: string, path: string): ChannelSpec | null {
  if (variant === 'clean') return null;
  const random = seededRandom(`${seed}|${variant}|${path}`);
  if (variant === 'alaw-band') return { speed: 1, gainDb: 0, bandLimit: true, noise: null, codec: 'alaw' };
  if (variant.startsWith('noisy')) {
    const kinds = ['white', 'pink', 'babble'] as const;
    const kind = kinds[Math.floor(random() * kinds.length)]!;
    return {
      speed: 1,
      gainDb: 0,
      bandLimit: false,
      noise: { kind, snrDb: Number(variant.slice(5)) },
      codec: 'mulaw',
    };
  }
  return randomChannel(random);
}

/** Bump when the augmentation or descriptor code changes, so stale caches are not reused. */
const CACHE_VERSION = 5;

export interface DescriptorStoreOptions {
  dataRoot: string;
  /** Corpus folders elsewhere than `<dataRoot>/<corpus>` (your own recordings). */
  roots?: CorpusRoots;
  frontend: FrontendConfig;
  seed: string;
  cacheDir: string;
  /** Clips whose audio forms the babble noise (training speakers only). */
  babbleClips: CorpusClip[];
  log?: (msg: string) => void;
}

/** Frame descriptors per (variant, clip), computed once and cached on disk per corpus. */
export class DescriptorStore {
  private readonly memory = new Map<string, Map<string, FeatureMatrix>>();
  private babblePool: Float32Array[] | undefined;

  constructor(private readonly opts: DescriptorStoreOptions) {}

  /** A clip's audio at the frontend's rate (a stereo file's first channel). */
  async loadAudio(clip: CorpusClip): Promise<Float32Array> {
    const root = corpusRoots(this.opts.dataRoot, this.opts.roots)[clip.corpus]!;
    // The shipped corpora are WAV; your own recordings may be any format the audio core decodes.
    // A stereo file's first channel is used.
    const audio = await decodeAll(await readFile(join(root, clip.path)));
    const mono = audio.channels[0]!;
    return audio.sampleRate === this.opts.frontend.sr
      ? mono
      : resample(mono, audio.sampleRate, this.opts.frontend.sr);
  }

  private async babble(): Promise<Float32Array[]> {
    this.babblePool ??= await Promise.all(this.opts.babbleClips.map((c) => this.loadAudio(c)));
    return this.babblePool;
  }

  /** Descriptors of `clips` under `variant`, in order. */
  async get(clips: CorpusClip[], variant: Variant): Promise<FeatureMatrix[]> {
    const byCorpus = new Map<CorpusId, CorpusClip[]>();
    for (const c of clips) byCorpus.set(c.corpus, [...(byCorpus.get(c.corpus) ?? []), c]);
    for (const [corpus, list] of byCorpus) await this.ensure(corpus, list, variant);
    return clips.map((c) => this.memory.get(`${variant}|${c.corpus}`)!.get(c.path)!);
  }

  private async ensure(corpus: CorpusId, clips: CorpusClip[], variant: Variant): Promise<void> {
    const key = `${variant}|${corpus}`;
    const have = this.memory.get(key) ?? new Map<string, FeatureMatrix>();
    this.memory.set(key, have);
    const missing = clips.filter((c) => !have.has(c.path));
    if (missing.length === 0) return;
    // Your recordings are cached per folder: two folders may hold the same relative paths.
    const own =
      corpus === 'custom'
        ? `-${createHash('sha256').update(corpusRoots(this.opts.dataRoot, this.opts.roots).custom!).digest('hex').slice(0, 8)}`
        : '';
    const file = join(this.opts.cacheDir, `${this.id}-${variant}-${corpus}${own}`);
    if (existsSync(`${file}.json`)) readCache(file, have);
    const todo = clips.filter((c) => !have.has(c.path));
    if (todo.length === 0) return;
    const t0 = performance.now();
    const pool = variant === 'clean' ? [] : await this.babble();
    for (const clip of todo) {
      let x = await this.loadAudio(clip);
      const spec = channelFor(variant, this.opts.seed, clip.path);
      if (spec)
        x = applyChannel(
          x,
          this.opts.frontend.sr,
          spec,
          pool,
          seededRandom(`${this.opts.seed}|noise|${variant}|${clip.path}`),
        );
      have.set(clip.path, frameDescriptors(x, this.opts.frontend));
    }
    this.opts.log?.(
      `descriptors ${variant}/${corpus}: ${todo.length} clips in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    writeCache(file, have);
  }

  /** Identifies everything the cached descriptors depend on (cache version, frontend, seed, babble). */
  get id(): string {
    const { frontend, seed, babbleClips } = this.opts;
    const h = createHash('sha256');
    h.update(JSON.stringify({ v: CACHE_VERSION, frontend, seed, babble: babbleClips.map((c) => c.path) }));
    return h.digest('hex').slice(0, 16);
  }
}

function writeCache(file: string, entries: Map<string, FeatureMatrix>): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const index = [...entries].map(([path, m]) => ({ path, rows: m.rows, cols: m.cols }));
  const total = index.reduce((s, e) => s + e.rows * e.cols, 0);
  const data = new Float32Array(total);
  let o = 0;
  for (const m of entries.values()) {
    data.set(m.data, o);
    o += m.data.length;
  }
  // Write-then-rename so an interrupted run never leaves a truncated cache behind.
  writeFileSync(`${file}.bin.tmp`, new Uint8Array(data.buffer));
  renameSync(`${file}.bin.tmp`, `${file}.bin`);
  writeFileSync(`${file}.json`, JSON.stringify(index));
}

function readCache(file: string, into: Map<string, FeatureMatrix>): void {
  const index = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as {
    path: string;
    rows: number;
    cols: number;
  }[];
  const bytes = readFileSync(`${file}.bin`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let o = 0;
  for (const e of index) {
    const n = e.rows * e.cols;
    into.set(e.path, { rows: e.rows, cols: e.cols, data: all.slice(o, o + n) });
    o += n;
  }
}

/** A seeded sample of up to `n` training clips (across corpora) to mix as babble noise. */
export function pickBabble(clips: LabeledClip[], n: number, seed: string): CorpusClip[] {
  return shuffled(
    clips.filter((c) => c.split === 'train').map((c) => c.clip),
    seededRandom(`${seed}|babble`),
  ).slice(0, n);
}

export interface TrainingSets {
  train: LabeledClip[];
  /** Frame features of the train clips per variant: clean first, then each augmented copy. */
  trainFeatures: FeatureMatrix[][];
  /** The validation clips' clean features, labelled, for early stopping. */
  valItems: EvalItem[];
}

/** The train split in `augmentVariants` augmented copies besides the clean one, and the validation split. */
export async function loadTrainingSets(
  store: Pick<DescriptorStore, 'get'>,
  clips: readonly LabeledClip[],
  augmentVariants: number,
): Promise<TrainingSets> {
  const train = clips.filter((c) => c.split === 'train');
  const val = clips.filter((c) => c.split === 'validation');
  if (train.length === 0 || val.length === 0)
    throw new TrainingError('EMPTY_SPLIT', 'training needs clips in both the train and validation splits');
  const variants: Variant[] = [
    'clean',
    ...Array.from({ length: augmentVariants }, (_, k) => `aug${k + 1}` as Variant),
  ];
  const trainFeatures: FeatureMatrix[][] = [];
  for (const v of variants)
    trainFeatures.push(
      await store.get(
        train.map((c) => c.clip),
        v,
      ),
    );
  const valFeatures = await store.get(
    val.map((c) => c.clip),
    'clean',
  );
  const valItems = valFeatures.map((lld, i) => ({ lld, label: val[i]!.label, corpus: val[i]!.clip.corpus }));
  return { train, trainFeatures, valItems };
}

/** Corpora present in `clips`. */
export function corporaOf(clips: readonly LabeledClip[]): CorpusId[] {
  return [...new Set(clips.map((c) => c.clip.corpus))];
}
