// `voicepulse train`: data → descriptors (cached) → one TDNN per speaker fold (checkpointed) → their
// ensemble → held-out evaluation (clean, channel robustness, cross-corpus and TESS cross-speaker) →
// versioned model directory.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusClip, CorpusId } from '../core/corpora/clip.ts';
import type { ScanOptions } from '../core/corpora/scan.ts';
import { loadSplitManifest, type SplitManifest } from '../core/corpora/split-manifest.ts';
import { type EmotionModel, loadModel, saveModel } from '../core/model/format.ts';
import { DEFAULT_FRONTEND } from '../core/model/frontend.ts';
import { voicedStats } from '../core/model/speaker-norm.ts';
import { seededRandom, shuffled } from '../core/random.ts';
import { fitOnPredictions } from './class-offsets.ts';
import {
  corporaOf,
  DescriptorStore,
  type LabeledClip,
  labeledClips,
  pickBabble,
  type Variant,
} from './dataset.ts';
import { ensembleOf } from './ensemble.ts';
import { TrainingError } from './errors.ts';
import {
  type CorpusEvaluation,
  evaluateModel,
  evaluateProductPath,
  predictItems,
  withTrainingRunner,
} from './evaluate.ts';
import {
  TDNN_SETTINGS,
  type TdnnEpoch,
  type TdnnTrainOptions,
  type TdnnTrainSettings,
  trainTdnn,
  voicedMean,
} from './train-tdnn.ts';

export interface PipelineOptions {
  dataRoot: string;
  outDir: string;
  version: string;
  quick: boolean;
  /** A model directory to evaluate on the same validation and test clips, for comparison. */
  baselineDir?: string;
  seed?: string;
  cacheDir?: string;
  /**
   * Your own labelled recordings (core/corpora/labelled.ts): trained and evaluated as corpus
   * 'custom' on its speaker-disjoint split, beside the corpora under dataRoot or (`only`) alone.
   */
  own?: { root: string; labels?: string; only?: boolean };
  /** Fine-tune: each network starts from a member of this model (same network shape). */
  initDir?: string;
  /**
   * Distil this model (e.g. the committed ensemble) into one network on the manifest split
   * (DISTILLED_TDNN): one network's inference cost for close to the ensemble's accuracy.
   */
  teacherDir?: string;
  /**
   * One network with speaker channels (SPEAKER_NORM): 'all' the speaker's speech so far, 'neutral'
   * their neutral-like speech only (NEUTRAL_GATE).
   */
  speakerChannels?: SpeakerHistory;
  /** With speakerChannels: v4's speaker-fold networks averaged, over one shared prior, instead of one network. */
  speakerFolds?: boolean;
  /** Network width (withChannels); default the recipe's own (128). */
  channels?: number;
  /** Log-mel frames averaged into one network frame (withPool); default the recipe's own (2). */
  pool?: number;
  /** Window means over the frames within this many dB of the window's loudest (TdnnConfig.meanFloorDb). */
  meanFloorDb?: number;
  log?: (msg: string) => void;
}

export interface PipelineResult {
  model: EmotionModel;
  /** Mean training loss of the first and last epoch (of the first network). */
  firstLoss: number;
  lastLoss: number;
  evaluation: Evaluation;
}

export interface Evaluation {
  /** Training-time evaluation of the test clips: every window of each clip's cached features. */
  test: CorpusEvaluation[];
  /** The test clips through the product path (`voicepulse eval`'s numbers: evaluateProductPath). */
  product?: CorpusEvaluation[];
  robustness?: Record<string, CorpusEvaluation[]>;
  crossCorpus?: CorpusEvaluation[];
  tessCrossSpeaker?: Record<string, CorpusEvaluation[]>;
  /** Each network's fold, kept epoch and validation reports. */
  folds?: FoldResult[];
  /** The baseline model on the same test clips. */
  baseline?: { version: string; test: CorpusEvaluation[]; product?: CorpusEvaluation[] };
}

/** Quick mode keeps this many clips per (corpus, split, emotion) cell. */
const QUICK_CELL = 10;
const BABBLE_CLIPS = 60;
/**
 * Epochs of each cross-corpus and TESS cross-speaker retraining (six of them, ~11 min in all): a
 * fresh `train` then took 70 min here (descriptors 2 min, four fold networks 56 min).
 */
export const CROSS_EPOCHS = 8;
const ROBUSTNESS: Variant[] = ['alaw-band', 'noisy10', 'noisy0'];

/**
 * The quick (CI smoke) TDNN: a narrower net, one augmented channel, a few epochs. Seed 'ci' test UA
 * over the four corpora: 37 % at 64 channels and lr 1e-3; 32 channels (or lr 3e-3) stayed at chance.
 */
const QUICK_TDNN: TdnnTrainSettings = {
  ...TDNN_SETTINGS,
  speakerFolds: false,
  augmentVariants: 1,
  maxEpochs: 15,
  patience: 15,
  weightAverage: 0.9,
  net: {
    ...TDNN_SETTINGS.net,
    layers: TDNN_SETTINGS.net.layers.map((l) => ({ ...l, channels: 64 })),
    dense: [64],
  },
};

/**
 * One network distilled from a teacher: the manifest's train/validation split (the teacher's
 * knowledge of the validation speakers reaches the student only through the training speakers'
 * windows), 40 epochs as the teacher's forward pass per batch makes each epoch ~2× slower.
 */
export const DISTILLED_TDNN: TdnnTrainSettings = {
  ...TDNN_SETTINGS,
  speakerFolds: false,
  maxEpochs: 40,
  distillation: { weight: 0.7, temperature: 2 },
};

/**
 * One network with speaker channels (core/model/speaker-norm.ts) on the manifest split, by default;
 * withSpeakerChannels(…, folds) trains v4's speaker folds instead, over one shared prior.
 */
export const SPEAKER_NORM: Pick<TdnnTrainSettings, 'speakerFolds' | 'speakerNorm'> = {
  speakerFolds: false,
  speakerNorm: { priorFrames: 100, maxHistory: 6, sameEmotion: 0.3 },
};

/** What a speaker's running statistics hold: all their speech so far, or the neutral-like part. */
export type SpeakerHistory = 'all' | 'neutral';

/**
 * Neutral probability at which a window joins its speaker's statistics, for 'neutral' history: the
 * middle of the scale, so a window the network is unsure of stays out.
 */
export const NEUTRAL_GATE = 0.5;

/**
 * `settings` with speaker channels (SPEAKER_NORM) over `history`; with `folds`, one network per
 * speaker fold, averaged (v4's ensemble), whose members share one prior (sharedPrior).
 */
export function withSpeakerChannels(
  settings: TdnnTrainSettings,
  history: SpeakerHistory = 'all',
  folds = false,
): TdnnTrainSettings {
  const speakerNorm = {
    ...SPEAKER_NORM.speakerNorm!,
    ...(history === 'neutral' && { neutralGate: NEUTRAL_GATE }),
  };
  return {
    ...settings,
    ...SPEAKER_NORM,
    speakerFolds: folds,
    speakerNorm,
    net: { ...settings.net, speakerOffsets: true },
  };
}

/**
 * `settings` whose speaker prior is the clean voiced mean of every clip some fold trains on, when
 * speaker channels train several folds: each fold's own training clips would give each member a
 * prior of its own, and one model holds one prior. Otherwise `settings` as they are.
 */
export async function sharedPrior(
  settings: TdnnTrainSettings,
  folds: readonly TrainingFold[],
  store: Pick<DescriptorStore, 'get'>,
): Promise<TdnnTrainSettings> {
  if (!settings.speakerNorm || folds.length < 2) return settings;
  const trained = new Map<string, CorpusClip>();
  for (const fold of folds)
    for (const c of fold.clips)
      if (c.split === 'train') trained.set(`${c.clip.corpus}|${c.clip.path}`, c.clip);
  const features = await store.get([...trained.values()], 'clean');
  const priorMean = voicedMean(features.map((f) => voicedStats(f)));
  return { ...settings, speakerNorm: { ...settings.speakerNorm, priorMean } };
}

/**
 * `settings` with `channels` in the first three TDNN layers and twice that in the last frame layer
 * (the recipe's 128/256 proportion): a frame layer's cost grows with the square of its width, so 64
 * channels cost about a third of 128 (issue 16: a four-fold ensemble at one network's price).
 */
export function withChannels(settings: TdnnTrainSettings, channels: number): TdnnTrainSettings {
  const last = settings.net.layers.length - 1;
  const layers = settings.net.layers.map((l, i) => ({
    ...l,
    channels: i === last ? 2 * channels : channels,
  }));
  return { ...settings, net: { ...settings.net, layers } };
}

/**
 * `settings` with `pool` 10 ms frames averaged into each network frame and the window's network
 * frames scaled to match: every frame layer's cost falls in proportion (pool 4 halves the recipe's).
 */
export function withPool(settings: TdnnTrainSettings, pool: number): TdnnTrainSettings {
  const spanned = settings.net.frames * settings.net.pool;
  if (spanned % pool !== 0)
    throw new TrainingError(
      'INVALID_SETTINGS',
      `pool ${pool} does not divide the window's ${spanned} frames`,
    );
  return { ...settings, net: { ...settings.net, pool, frames: spanned / pool } };
}

/**
 * `settings` whose windows are centred on their frames within `db` dB of the loudest, in training and
 * in the model it writes (TdnnConfig.meanFloorDb); needs a prosody network.
 */
export function withMeanFloor(settings: TdnnTrainSettings, db: number): TdnnTrainSettings {
  if (!settings.net.prosody)
    throw new TrainingError('INVALID_SETTINGS', 'window means over the loud frames need a prosody network');
  return { ...settings, net: { ...settings.net, meanFloorDb: db } };
}

/** `settings` with the network width, pooling and window means asked for (each absent: the recipe's own). */
export function shapeRecipe(
  settings: TdnnTrainSettings,
  shape: Pick<PipelineOptions, 'channels' | 'pool' | 'meanFloorDb'>,
): TdnnTrainSettings {
  const widened = shape.channels === undefined ? settings : withChannels(settings, shape.channels);
  const pooled = shape.pool === undefined ? widened : withPool(widened, shape.pool);
  return shape.meanFloorDb === undefined ? pooled : withMeanFloor(pooled, shape.meanFloorDb);
}

/** The six-class clips (subsampled for --quick) and the frame-feature store over them. */
export function prepareData(
  opts: PipelineOptions,
  seed: string,
  log: (msg: string) => void,
): { clips: LabeledClip[]; store: DescriptorStore; cacheDir: string } {
  let clips = labeledClips(opts.dataRoot, {}, scanOptions(opts));
  if (opts.own?.only) clips = clips.filter((c) => c.clip.corpus === 'custom');
  if (clips.length === 0)
    throw new TrainingError(
      'NO_CLIPS',
      `no six-class clips under ${opts.own?.only ? opts.own.root : opts.dataRoot}`,
    );
  if (opts.quick) clips = subsample(clips, QUICK_CELL, seed);
  const cacheDir = opts.cacheDir ?? join(process.cwd(), '.cache', 'model-descriptors');
  const store = new DescriptorStore({
    dataRoot: opts.dataRoot,
    roots: scanOptions(opts).roots,
    frontend: DEFAULT_FRONTEND,
    seed,
    cacheDir,
    babbleClips: pickBabble(clips, BABBLE_CLIPS, seed),
    log,
  });
  log(`${clips.length} clips: ${summary(clips)}`);
  return { clips, store, cacheDir };
}

/** Where your own recordings are, for the corpus scan. */
function scanOptions(opts: PipelineOptions): ScanOptions {
  return opts.own ? { roots: { custom: opts.own.root }, labels: opts.own.labels } : {};
}

/** One network of a training run: its validation speakers and the clips as it sees them. */
export interface TrainingFold {
  /** 'split' (the manifest's train/validation split) or 'fold<k>'. */
  name: string;
  /** The corpus whose speakers are folded, and this fold's speakers of it (absent for 'split'). */
  corpus?: CorpusId;
  speakers?: string[];
  clips: LabeledClip[];
}

/**
 * The networks a run trains. With `useFolds` and a corpus whose split protocol lists speaker
 * folds (splits.json: RAVDESS), one per fold: that fold's speakers validate it, the corpus's other
 * non-test speakers train it, every other corpus keeps its manifest split. Otherwise one network on
 * the manifest split. Test clips stay test clips either way.
 */
export function trainingFolds(
  clips: LabeledClip[],
  useFolds: boolean,
  manifest: Pick<SplitManifest, 'folds'> = loadSplitManifest(),
): TrainingFold[] {
  const corpus = useFolds ? corporaOf(clips).find((c) => manifest.folds(c)) : undefined;
  if (!corpus) return [{ name: 'split', clips }];
  return manifest.folds(corpus)!.map((speakers, k) => ({
    name: `fold${k + 1}`,
    corpus,
    speakers,
    clips: clips.map((c) =>
      c.clip.corpus !== corpus || c.split === 'test'
        ? c
        : { ...c, split: speakers.includes(c.clip.speaker) ? ('validation' as const) : ('train' as const) },
    ),
  }));
}

/** Bump when training code changes what a network learns from the same settings and data. */
const CHECKPOINT_VERSION = 1;

/** A fold network's record in the shipped model's metadata. */
export interface FoldResult {
  name: string;
  corpus?: CorpusId;
  speakers?: string[];
  /** The kept epoch and the fold's validation reports at it (temperature fitted). */
  epoch: number;
  validation: CorpusEvaluation[];
  history: TdnnEpoch[];
}

/**
 * The network of one training fold. With `checkpoints` (a directory), it is read from its checkpoint
 * there when one exists (keyed by the settings, the descriptor cache and the fold's clips and
 * splits: everything that determines the weights), otherwise trained and checkpointed.
 */
export async function trainFoldNetwork(
  version: string,
  fold: TrainingFold,
  settings: TdnnTrainSettings,
  store: Pick<DescriptorStore, 'get' | 'id'>,
  checkpoints: string | undefined,
  log: (msg: string) => void,
  { init, teacher }: TdnnTrainOptions = {},
): Promise<{ network: EmotionModel; result: FoldResult }> {
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        v: CHECKPOINT_VERSION,
        settings,
        descriptors: store.id,
        init: init && [init.model.version, init.member],
        teacher: teacher?.version,
        clips: fold.clips.map((c) => [c.clip.corpus, c.clip.path, c.split]),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const checkpoint = checkpoints && join(checkpoints, key);
  let network: EmotionModel;
  if (checkpoint && existsSync(join(checkpoint, 'model.json'))) {
    network = loadModel(checkpoint);
    log(`${fold.name}: from checkpoint ${checkpoint} (kept epoch ${String(network.metadata.epoch)})`);
  } else {
    log(`${fold.name}: validation speakers ${fold.speakers?.join(', ') ?? 'of the manifest split'}`);
    const trained = await trainTdnn(`${version}-${fold.name}`, fold.clips, store, settings, log, {
      init,
      teacher,
    });
    network = {
      ...trained.model,
      metadata: { epoch: trained.epoch, validation: trained.validation, history: trained.history },
    };
    if (checkpoint) saveModel(network, checkpoint);
  }
  const { epoch, validation, history } = network.metadata as Pick<
    FoldResult,
    'epoch' | 'validation' | 'history'
  >;
  const result = {
    name: fold.name,
    corpus: fold.corpus,
    speakers: fold.speakers,
    epoch,
    validation,
    history,
  };
  return { network, result };
}

/**
 * Trains one network per training fold (a full run checkpoints each under the cache directory, so
 * an interrupted run resumes where it stopped), joins them into
 * one ensemble (ensemble.ts; a single network stays one member) and evaluates it: test, channel
 * robustness, the baseline's test when given, then the cross-corpus retrainings.
 */
export async function runTraining(opts: PipelineOptions): Promise<PipelineResult> {
  const log = opts.log ?? (() => {});
  const teacher = opts.teacherDir === undefined ? undefined : loadModel(opts.teacherDir);
  const base = opts.quick
    ? { ...QUICK_TDNN, ...(teacher && { distillation: DISTILLED_TDNN.distillation }) }
    : teacher
      ? DISTILLED_TDNN
      : TDNN_SETTINGS;
  const shaped = shapeRecipe(base, opts);
  const recipe: TdnnTrainSettings = {
    ...(opts.speakerChannels ? withSpeakerChannels(shaped, opts.speakerChannels, opts.speakerFolds) : shaped),
    seed: opts.seed ?? base.seed,
  };
  const { clips, store, cacheDir } = prepareData(opts, recipe.seed, log);
  const foldsToTrain = trainingFolds(clips, recipe.speakerFolds);
  const settings = await sharedPrior(recipe, foldsToTrain, store);
  const folds: FoldResult[] = [];
  const networks: EmotionModel[] = [];
  // Full runs take over an hour: each finished network is checkpointed so a rerun resumes.
  const checkpoints = opts.quick ? undefined : join(cacheDir, 'tdnn-folds');
  const initModel = opts.initDir === undefined ? undefined : loadModel(opts.initDir);
  for (const [k, fold] of foldsToTrain.entries()) {
    const init = initModel && { model: initModel, member: k };
    const { network, result } = await trainFoldNetwork(
      opts.version,
      fold,
      settings,
      store,
      checkpoints,
      log,
      { init, teacher },
    );
    folds.push(result);
    networks.push(network);
  }
  const ensemble = ensembleOf(opts.version, networks);
  const test = clips.filter((c) => c.split === 'test');
  const evaluation: Evaluation = { test: await evaluateVariant(ensemble, test, store, 'clean'), folds };
  log(`test: ${describe(evaluation.test)}`);
  const audio = (clip: CorpusClip) => store.loadAudio(clip);
  evaluation.product = await evaluateProductPath(ensemble, test, audio);
  log(`test, product path: ${describe(evaluation.product)}`);
  if (!opts.quick) {
    evaluation.robustness = {};
    for (const v of ROBUSTNESS) {
      evaluation.robustness[v] = await evaluateVariant(ensemble, test, store, v);
      log(`test ${v}: ${describe(evaluation.robustness[v])}`);
    }
  }
  if (opts.baselineDir && existsSync(opts.baselineDir)) {
    const baseline = loadModel(opts.baselineDir);
    evaluation.baseline = {
      version: baseline.version,
      test: await evaluateVariant(baseline, test, store, 'clean'),
      product: await evaluateProductPath(baseline, test, audio),
    };
    log(`baseline ${baseline.version} test: ${describe(evaluation.baseline.test)}`);
  }
  const model: EmotionModel = {
    ...ensemble,
    metadata: { settings, data: summaryTable(clips), evaluation },
  };
  // Written before the retrainings too, so that an interrupted run still leaves the model.
  saveModel(model, opts.outDir);
  log(`model written to ${opts.outDir}`);
  if (!opts.quick) {
    const retrain = crossRetrain(store, settings);
    // Leaving a corpus out needs another to train on.
    if (corporaOf(clips).length > 1) evaluation.crossCorpus = await crossCorpus(clips, store, retrain, log);
    if (!opts.own?.only)
      evaluation.tessCrossSpeaker = await tessCrossSpeaker(
        opts.dataRoot,
        scanOptions(opts),
        store,
        retrain,
        log,
      );
    saveModel(model, opts.outDir);
    log(`model rewritten with the cross-corpus results`);
  }
  const first = folds[0]!.history;
  return { model, firstLoss: first[0]!.loss, lastLoss: first.at(-1)!.loss, evaluation };
}

/**
 * `model` on the test clips under `dataRoot` through the product path (evaluateProductPath): for a
 * model trained before runs recorded it (training/product-card.ts).
 */
export async function productTestEvaluation(
  model: EmotionModel,
  dataRoot: string,
  log: (msg: string) => void = () => {},
): Promise<CorpusEvaluation[]> {
  const { clips, store } = prepareData(
    { dataRoot, outDir: '', version: model.version, quick: false },
    TDNN_SETTINGS.seed,
    log,
  );
  return evaluateProductPath(
    model,
    clips.filter((c) => c.split === 'test'),
    (clip) => store.loadAudio(clip),
  );
}

async function evaluateVariant(
  model: EmotionModel,
  clips: LabeledClip[],
  store: DescriptorStore,
  variant: Variant,
) {
  const llds = await store.get(
    clips.map((c) => c.clip),
    variant,
  );
  return evaluateModel(
    model,
    clips.map((c, i) => ({ lld: llds[i]!, label: c.label, corpus: c.clip.corpus })),
  );
}

/** Class offsets for `model` fitted on the validation clips among `clips` (training's evaluation path). */
export async function fitOffsetsOnValidation(
  model: EmotionModel,
  clips: LabeledClip[],
  store: DescriptorStore,
) {
  const validation = clips.filter((c) => c.split === 'validation');
  const llds = await store.get(
    validation.map((c) => c.clip),
    'clean',
  );
  const items = validation.map((c, i) => ({ lld: llds[i]!, label: c.label, corpus: c.clip.corpus }));
  const { classOffsets: _, ...bare } = model;
  const preds = await withTrainingRunner(bare, (runner) => predictItems(runner, items));
  return fitOnPredictions(preds, items, model.labels);
}

/** Trains a lighter network of the same shape on a subset of the clips (their splits as given). */
export type Retrain = (version: string, clips: LabeledClip[]) => Promise<EmotionModel>;

/** The retraining of the cross-corpus tables: the recipe's network for CROSS_EPOCHS epochs. */
export function crossRetrain(store: DescriptorStore, settings: TdnnTrainSettings): Retrain {
  return async (version, subset) =>
    (await trainTdnn(version, subset, store, retrainSettings(settings))).model;
}

/**
 * The recipe of a cross-corpus retraining: CROSS_EPOCHS, and a speaker prior from the retraining's
 * own training clips, never a shared prior (sharedPrior) that holds the left-out corpus's speech.
 */
export function retrainSettings(settings: TdnnTrainSettings): TdnnTrainSettings {
  const retrain = { ...settings, maxEpochs: CROSS_EPOCHS, patience: CROSS_EPOCHS };
  if (!settings.speakerNorm?.priorMean) return retrain;
  const { priorMean: _, ...own } = settings.speakerNorm;
  return { ...retrain, speakerNorm: own };
}

/** Train without corpus X, test on every clip of X. */
export async function crossCorpus(
  clips: LabeledClip[],
  store: DescriptorStore,
  retrain: Retrain,
  log: (m: string) => void,
  /** Fit class offsets (class-offsets.ts) on the other corpora's validation clips before testing. */
  classOffsets = false,
) {
  const out: CorpusEvaluation[] = [];
  for (const corpus of corporaOf(clips)) {
    const others = clips.filter((c) => c.clip.corpus !== corpus);
    let model = await retrain(`without-${corpus}`, others);
    if (classOffsets) {
      const fit = await fitOffsetsOnValidation(model, others, store);
      model = { ...model, classOffsets: fit.offsets };
      log(
        `cross-corpus ${corpus}: offsets ${Array.from(fit.offsets, (b) => b.toFixed(1)).join(' ')} (validation ${(100 * fit.before).toFixed(1)} → ${(100 * fit.after).toFixed(1)})`,
      );
    }
    const held = clips.filter((c) => c.clip.corpus === corpus);
    const [evaluation] = await evaluateVariant(model, held, store, 'clean');
    log(`cross-corpus ${corpus}: ${describe([evaluation!])}`);
    out.push(evaluation!);
  }
  return out;
}

/** TESS speaker-disjoint protocols: train on one speaker (plus the other corpora), test on the other. */
async function tessCrossSpeaker(
  dataRoot: string,
  scan: ScanOptions,
  store: DescriptorStore,
  retrain: Retrain,
  log: (m: string) => void,
) {
  const out: Record<string, CorpusEvaluation[]> = {};
  for (const protocol of ['oaf-to-yaf', 'yaf-to-oaf']) {
    const clips = labeledClips(dataRoot, { tess: protocol }, scan);
    if (!clips.some((c) => c.clip.corpus === 'tess')) return out;
    const model = await retrain(`tess-${protocol}`, clips);
    const test = clips.filter((c) => c.split === 'test' && c.clip.corpus === 'tess');
    out[protocol] = await evaluateVariant(model, test, store, 'clean');
    log(`tess ${protocol}: ${describe(out[protocol])}`);
  }
  return out;
}

function subsample(clips: LabeledClip[], perCell: number, seed: string): LabeledClip[] {
  const cells = new Map<string, LabeledClip[]>();
  for (const c of shuffled(clips, seededRandom(`${seed}|quick`))) {
    const key = `${c.clip.corpus}|${c.split}|${c.label}`;
    const list = cells.get(key) ?? [];
    if (list.length < perCell) list.push(c);
    cells.set(key, list);
  }
  return [...cells.values()].flat();
}

function summaryTable(clips: LabeledClip[]) {
  const table: Record<string, Record<string, number>> = {};
  for (const c of clips) {
    const row = table[c.clip.corpus] ?? {};
    row[c.split] = (row[c.split] ?? 0) + 1;
    table[c.clip.corpus] = row;
  }
  return table;
}

function summary(clips: LabeledClip[]): string {
  return Object.entries(summaryTable(clips))
    .map(([corpus, splits]) => `${corpus} ${JSON.stringify(splits)}`)
    .join('; ');
}

export function describe(evals: CorpusEvaluation[]): string {
  return evals
    .map(
      (e) =>
        `${e.corpus} UA ${(100 * e.utterance.ua).toFixed(1)} % (window ${(100 * e.window.ua).toFixed(1)} %, n=${e.utterance.n})`,
    )
    .join('; ');
}
