// Trains the frame-level TDNN on the training speakers' log-mel frames (clean and augmented
// channels, random 2 s crops, SpecAugment time and band masks, class balancing) with Adam on tfjs
// wasm, keeping the epoch with the best weighted validation UA.
import { isDeepStrictEqual } from 'node:util';
import type { CorpusId } from '../core/corpora/clip.ts';
import { EMOTIONS } from '../core/emotions.ts';
import type { FeatureMatrix } from '../core/features/matrix.ts';
import type { EmotionModel } from '../core/model/format.ts';
import { DEFAULT_FRONTEND } from '../core/model/frontend.ts';
import {
  type SpeakerCentre,
  type SpeakerPrior,
  SpeakerStats,
  voicedStats,
} from '../core/model/speaker-norm.ts';
import { inputWidth, type TdnnConfig, type TdnnWeights, weightShapes } from '../core/model/tdnn.ts';
import { initTfjs, readWeights, type TdnnParams, tdnnLogits, tf, weightTensors } from '../core/model/tfjs.ts';
import { windowFrames, windowInput } from '../core/model/windows.ts';
import { gaussian, type Random, seededRandom, shuffled } from '../core/random.ts';
import { fitTemperature } from './calibration.ts';
import { type DescriptorStore, type LabeledClip, loadTrainingSets } from './dataset.ts';
import { TrainingError } from './errors.ts';
import {
  type CorpusEvaluation,
  type EvalItem,
  evaluateModel,
  predictItems,
  withTrainingRunner,
} from './evaluate.ts';
import { randomCrops, timeMask } from './windows.ts';

export interface TdnnTrainSettings {
  seed: string;
  windowMs: number;
  hopMs: number;
  augmentVariants: number;
  maxEpochs: number;
  patience: number;
  lr: number;
  batchSize: number;
  dropout: number;
  labelSmoothing: number;
  /**
   * Decay of the exponential moving average of the weights that is validated and kept (raw
   * weights swing validation UA by ±5 points from epoch to epoch).
   */
  weightAverage: number;
  /** Loss weight per corpus (default 1). */
  corpusWeights: Partial<Record<CorpusId, number>>;
  /** Weight of each corpus's validation UA in the early-stopping score (default 1). */
  selectionWeights: Partial<Record<CorpusId, number>>;
  /**
   * Train one network per speaker fold of the corpora whose split manifest lists folds (each fold
   * the validation speakers of its network, the other non-test speakers training it) and ship the
   * ensemble of all of them; otherwise one network on the manifest's train/validation split.
   */
  speakerFolds: boolean;
  /**
   * Distillation from a teacher model (trainTdnn's `teacher`): the target is `weight` × the
   * teacher's probabilities at `temperature` plus the rest × the smoothed one-hot label.
   */
  distillation?: { weight: number; temperature: number };
  /**
   * Speaker channels (net.speakerOffsets; core/model/speaker-norm.ts): the prior is the training
   * clips' voiced-frame mean, weighted as `priorFrames` frames; each training window is measured as a
   * call would measure it, against the prior plus up to `maxHistory` other clips of its speaker (drawn
   * from its own emotion with probability `sameEmotion`: a call angry from its start) plus its own
   * clip up to the window's end. With `neutralGate` the model's statistics hold only windows scored at
   * least that neutral (speaker-norm.ts), and training presents them so: up to `maxHistory` of the
   * speaker's other neutral clips, never the window's own frames (the speaker's usual is their neutral
   * speech; Busso et al.). `priorMean` (energy, F0) replaces the training clips' mean: the members of a
   * speaker-fold ensemble share one prior (training/pipeline.ts sharedPrior), since one model holds one.
   */
  speakerNorm?: {
    priorFrames: number;
    maxHistory: number;
    sameEmotion: number;
    neutralGate?: number;
    priorMean?: [number, number];
  };
  net: Omit<TdnnConfig, 'classes'>;
}

export const TDNN_SETTINGS: TdnnTrainSettings = {
  seed: 'voicepulse-1',
  windowMs: 2000,
  hopMs: 1000,
  augmentVariants: 4,
  // 25 → 60 epochs: validation RAVDESS UA 62.5 → 69.3 % (still rising after epoch 25; docs/model-card.md).
  maxEpochs: 60,
  patience: 15,
  lr: 1e-3,
  batchSize: 32,
  dropout: 0.3,
  labelSmoothing: 0.1,
  weightAverage: 0.995,
  corpusWeights: { ravdess: 3 },
  selectionWeights: { ravdess: 3 },
  speakerFolds: true,
  net: {
    nMels: 64,
    // Validation RAVDESS UA 62.5 % with, 59.4 % without (docs/model-card.md).
    prosody: true,
    pool: 2,
    frames: 100,
    layers: [
      { context: 5, dilation: 1, channels: 128 },
      { context: 3, dilation: 2, channels: 128 },
      { context: 3, dilation: 3, channels: 128 },
      { context: 1, dilation: 1, channels: 256 },
    ],
    dense: [128],
  },
};

export interface TdnnEpoch {
  epoch: number;
  loss: number;
  valScore: number;
  seconds: number;
}

export interface TrainedTdnn {
  /** The weights of the best validation epoch. */
  model: EmotionModel;
  /** That epoch. */
  epoch: number;
  history: TdnnEpoch[];
  /** Validation reports of that epoch. */
  validation: CorpusEvaluation[];
}

/** Fine-tuning: start from one member of a trained model (its weights and input scale). */
export interface TdnnInit {
  model: EmotionModel;
  member: number;
}

/** Options of trainTdnn beyond the settings. */
export interface TdnnTrainOptions {
  /** Start from this model's member (fine-tuning). */
  init?: TdnnInit;
  /**
   * Distil this model (usually an ensemble) into the one network trained: its probabilities on
   * each augmented training window join the target (settings.distillation), and its input scale
   * is kept so that both read the same input.
   */
  teacher?: EmotionModel;
}

/**
 * Trains on `store`'s frame features of the clips (log-mel in their first rows, e.g. frame
 * descriptors); validation scores go through a ModelRunner (training/evaluate.ts). With `init`
 * the network starts from that model's member (fine-tuning: same shape, its input scale kept); with
 * `teacher` it learns that model's outputs too (distillation).
 */
export async function trainTdnn(
  version: string,
  clips: LabeledClip[],
  store: Pick<DescriptorStore, 'get'>,
  settings: TdnnTrainSettings,
  log: (msg: string) => void = () => {},
  { init, teacher }: TdnnTrainOptions = {},
): Promise<TrainedTdnn> {
  await initTfjs();
  const frontend = DEFAULT_FRONTEND;
  const cfg: TdnnConfig = { ...settings.net, classes: EMOTIONS.length };
  if (init && !isDeepStrictEqual(init.model.network, cfg))
    throw new TrainingError(
      'INIT_MISMATCH',
      `cannot fine-tune ${init.model.version}: its network differs from the training settings' network`,
    );
  if (teacher && !sameInput(teacher.network, cfg))
    throw new TrainingError(
      'TEACHER_MISMATCH',
      `cannot distil ${teacher.version}: its input (bands, prosody, pooling, frames) differs from the training settings' network`,
    );
  if (teacher && !settings.distillation)
    throw new TrainingError('TEACHER_MISMATCH', 'a teacher needs settings.distillation');
  const {
    train,
    trainFeatures: trainMel,
    valItems,
  } = await loadTrainingSets(store, clips, settings.augmentVariants);
  const msPerFrame = (1000 * frontend.hopLength) / frontend.sr;
  const geometry = {
    lengthFrames: Math.round(settings.windowMs / msPerFrame),
    hopFrames: Math.round(settings.hopMs / msPerFrame),
  };
  const random = seededRandom(`${settings.seed}|tdnn`);
  if (Boolean(settings.speakerNorm) !== Boolean(cfg.speakerOffsets))
    throw new TrainingError('INVALID_SETTINGS', 'speakerNorm and net.speakerOffsets go together');
  const speakers = settings.speakerNorm && speakerCentres(train, trainMel, settings.speakerNorm, random);
  const scale =
    init?.model.scale ??
    teacher?.scale ??
    bandScale(trainMel[0]!, cfg, geometry.lengthFrames, geometry.hopFrames, speakers?.full);
  const weightOf = balancingWeights(train, settings.corpusWeights);
  const params = initParams(cfg, random, init?.model.members[init.member % init.model.members.length]);
  const teacherParams = teacher?.members.map((m) => weightTensors(teacher.network, m));
  const variables = [...params.layers, ...params.dense].flatMap((p) => [p.w, p.b]) as tf.Variable[];
  const averaged = [...params.layers, ...params.dense]
    .flatMap((p) => [p.w, p.b])
    .map((v) => tf.variable(v, false));
  const averagedParams = {
    layers: params.layers.map((_, i) => ({ w: averaged[2 * i]!, b: averaged[2 * i + 1]! })),
    dense: params.dense.map((_, i) => ({
      w: averaged[2 * (i + params.layers.length)]!,
      b: averaged[2 * (i + params.layers.length) + 1]!,
    })),
  } as TdnnParams;
  let steps = 0;
  const optimizer = tf.train.adam(settings.lr);
  const history: TdnnEpoch[] = [];
  const snapshot = (): EmotionModel => ({
    version,
    labels: EMOTIONS,
    frontend,
    window: { lengthMs: settings.windowMs, hopMs: settings.hopMs },
    network: cfg,
    scale,
    ...(speakers && { speakerPrior: speakers.prior }),
    temperature: 1,
    members: [readWeights(cfg, averagedParams)],
    metadata: {},
  });
  let best = { score: -1, epoch: 0, model: snapshot(), validation: [] as CorpusEvaluation[] };
  for (let epoch = 0; epoch < settings.maxEpochs && epoch - best.epoch <= settings.patience; epoch++) {
    const t0 = performance.now();
    const samples: Sample[] = [];
    train.forEach((c, i) => {
      const variant = Math.floor(random() * trainMel.length);
      const mel = trainMel[variant]![i]!;
      for (const [s, e] of randomCrops(mel.cols, geometry, random))
        samples.push({
          x: specAugment(windowInput(mel, s, e, cfg, scale, speakers?.centre(i, variant, e)), cfg, random),
          y: c.label,
          w: weightOf(c),
        });
    });
    const meanW = samples.reduce((s, x) => s + x.w, 0) / samples.length;
    const order = shuffled(samples, random);
    // Cosine learning-rate decay over the epoch budget.
    (optimizer as unknown as { learningRate: number }).learningRate =
      settings.lr * 0.5 * (1 + Math.cos((Math.PI * epoch) / settings.maxEpochs));
    let loss = 0;
    for (let b = 0; b < order.length; b += settings.batchSize) {
      const batch = order.slice(b, b + settings.batchSize);
      const seed = Math.floor(random() * 2 ** 31);
      const value = tf.tidy(() => {
        const x = batchTensor(
          batch.map((s) => s.x),
          cfg,
        );
        const labels = tf.oneHot(
          tf.tensor1d(
            batch.map((s) => s.y),
            'int32',
          ),
          cfg.classes,
        );
        const y =
          teacher && teacherParams && settings.distillation
            ? distilledTarget(labels as tf.Tensor2D, teacher, teacherParams, x, settings)
            : labels;
        const w = tf.tensor1d(batch.map((s) => s.w / meanW));
        const l = optimizer.minimize(
          () =>
            tf.losses.softmaxCrossEntropy(
              y,
              tdnnLogits(cfg, params, x, { rate: settings.dropout, seed }),
              w,
              teacher ? 0 : settings.labelSmoothing,
              tf.Reduction.SUM_BY_NONZERO_WEIGHTS,
            ) as tf.Scalar,
          true,
          variables,
        );
        // Warm-up as in TensorFlow's ExponentialMovingAverage: early averages forget faster.
        const d = Math.min(settings.weightAverage, (1 + steps) / (10 + steps));
        averaged.forEach((a, k) => {
          a.assign(tf.add(tf.mul(a, d), tf.mul(variables[k]!, 1 - d)));
        });
        steps++;
        return l!.dataSync()[0]!;
      });
      loss += (value * batch.length) / order.length;
    }
    const model = snapshot();
    const validation = await evaluateModel(model, valItems);
    const valScore = weightedUa(validation, settings.selectionWeights);
    const seconds = (performance.now() - t0) / 1000;
    history.push({ epoch, loss, valScore, seconds });
    log(
      `tdnn epoch ${epoch}: loss ${loss.toFixed(4)} val ${(100 * valScore).toFixed(1)} % [${validation.map((e) => `${e.corpus} ${(100 * e.utterance.ua).toFixed(1)}`).join(', ')}] (${samples.length} windows, ${seconds.toFixed(0)} s)`,
    );
    if (valScore > best.score) best = { score: valScore, epoch, model, validation };
  }
  for (const v of [...variables, ...averaged]) v.dispose();
  for (const p of teacherParams ?? []) tf.dispose([...p.layers, ...p.dense].flatMap((q) => [q.w, q.b]));
  optimizer.dispose();
  log(`tdnn best epoch ${best.epoch}: weighted val UA ${(100 * best.score).toFixed(1)} %`);
  best.model.temperature = await tdnnTemperature(best.model, valItems);
  log(`temperature ${best.model.temperature.toFixed(2)}`);
  // Recomputed so that the stored validation calibration is the fitted model's.
  const validation = await evaluateModel(best.model, valItems);
  return { model: best.model, epoch: best.epoch, history, validation };
}

/** Whether two networks read the same input layout (what distillation needs). */
function sameInput(a: TdnnConfig, b: TdnnConfig): boolean {
  return (
    a.nMels === b.nMels &&
    (a.prosody ?? false) === (b.prosody ?? false) &&
    a.pool === b.pool &&
    a.frames === b.frames &&
    a.classes === b.classes
  );
}

/**
 * The distillation target: weight × the teacher's mean member probabilities at the distillation
 * temperature, plus (1 − weight) × the label smoothed as softmaxCrossEntropy smooths it (the
 * smoothing is applied here because the mixed target is passed with smoothing 0).
 */
export function distilledTarget(
  labels: tf.Tensor2D,
  teacher: EmotionModel,
  members: TdnnParams[],
  x: tf.Tensor3D,
  settings: TdnnTrainSettings,
): tf.Tensor2D {
  const { weight, temperature } = settings.distillation!;
  const k = teacher.network.classes;
  const probs = tf.mean(
    tf.stack(members.map((p) => tf.softmax(tf.div(tdnnLogits(teacher.network, p, x), temperature)))),
    0,
  );
  const smoothed = tf.add(tf.mul(labels, 1 - settings.labelSmoothing), settings.labelSmoothing / k);
  return tf.add(tf.mul(probs, weight), tf.mul(smoothed, 1 - weight)) as tf.Tensor2D;
}

/**
 * The temperature fitted on the validation windows: log-probabilities at temperature 1 are the
 * logits up to a per-window constant, which softmax ignores.
 */
async function tdnnTemperature(model: EmotionModel, items: EvalItem[]): Promise<number> {
  const preds = await withTrainingRunner({ ...model, temperature: 1 }, (runner) =>
    predictItems(runner, items),
  );
  return fitTemperature(
    preds.flatMap((p, i) =>
      p.windows.map((w) => ({
        logits: w.map((v) => Math.log(Math.max(1e-30, v))),
        label: items[i]!.label,
      })),
    ),
  );
}

/**
 * Class balancing: each (corpus, emotion) cell of `train` carries the same total weight, times its
 * corpus weight (default 1).
 */
export function balancingWeights(
  train: readonly LabeledClip[],
  corpusWeights: Partial<Record<CorpusId, number>>,
): (c: LabeledClip) => number {
  const cellCount = new Map<string, number>();
  for (const c of train)
    cellCount.set(`${c.clip.corpus}|${c.label}`, (cellCount.get(`${c.clip.corpus}|${c.label}`) ?? 0) + 1);
  return (c) => (corpusWeights[c.clip.corpus] ?? 1) / cellCount.get(`${c.clip.corpus}|${c.label}`)!;
}

/** Mean utterance UA over corpora, each weighted by `weights` (default 1). */
export function weightedUa(evals: CorpusEvaluation[], weights: Partial<Record<CorpusId, number>>): number {
  let sum = 0;
  let total = 0;
  for (const e of evals) {
    const w = weights[e.corpus] ?? 1;
    sum += w * e.utterance.ua;
    total += w;
  }
  return sum / total;
}

interface Sample {
  x: Float32Array;
  y: number;
  w: number;
}

function batchTensor(xs: Float32Array[], cfg: TdnnConfig): tf.Tensor3D {
  const data = new Float32Array(xs.length * cfg.frames * inputWidth(cfg));
  xs.forEach((x, i) => {
    data.set(x, i * x.length);
  });
  return tf.tensor3d(data, [xs.length, cfg.frames, inputWidth(cfg)]);
}

/** SpecAugment on a normalised window: masked frames and mel bands are set to 0 (their mean). */
function specAugment(x: Float32Array, cfg: TdnnConfig, random: Random): Float32Array {
  const stride = inputWidth(cfg);
  const keep = timeMask(cfg.frames, random);
  for (let t = 0; t < cfg.frames; t++) if (!keep[t]) x.fill(0, t * stride, (t + 1) * stride);
  if (random() < 0.5) {
    const width = 1 + Math.floor(random() * 8);
    const start = Math.floor(random() * (cfg.nMels - width));
    for (let t = 0; t < cfg.frames; t++) x.fill(0, t * stride + start, t * stride + start + width);
  }
  return x;
}

/**
 * Per-channel root mean square of the mean-normalised clean training windows; speaker channels
 * measured against `centres` (per clip).
 */
function bandScale(
  mels: FeatureMatrix[],
  cfg: TdnnConfig,
  lengthFrames: number,
  hopFrames: number,
  centres?: readonly SpeakerCentre[],
): Float32Array {
  const width = inputWidth(cfg);
  const ones = new Float32Array(width).fill(1);
  const sq = new Float64Array(width);
  let n = 0;
  for (const [i, mel] of mels.entries())
    for (const [s, e] of windowFrames(mel.cols, lengthFrames, hopFrames)) {
      const x = windowInput(mel, s, e, cfg, ones, centres?.[i]);
      for (let i = 0; i < x.length; i++) sq[i % width]! += x[i]! * x[i]!;
      n += cfg.frames;
    }
  return Float32Array.from(sq, (v) => Math.max(1e-3, Math.sqrt(v / n)));
}

/** He-initialised weights, or `from` (a trained member) when fine-tuning. */
function initParams(cfg: TdnnConfig, random: Random, from?: TdnnWeights): TdnnParams {
  const shapes = weightShapes(cfg);
  const make = (i: number) => {
    const { w, b } = shapes[i]!;
    // Fan-in of a TDNN layer is inputs × context; w's columns hold `context` taps.
    const fanIn = i < cfg.layers.length ? w[0] * cfg.layers[i]!.context : w[0];
    return {
      w: Float32Array.from({ length: w[0] * w[1] }, () => gaussian(random) * Math.sqrt(2 / fanIn)),
      b: new Float32Array(b),
    };
  };
  const arrays = shapes.map((_, i) => make(i));
  const tensors = weightTensors(
    cfg,
    from ?? { layers: arrays.slice(0, cfg.layers.length), dense: arrays.slice(cfg.layers.length) },
  );
  const variable = <T extends tf.Tensor>(t: T) => {
    const v = tf.variable(t) as unknown as T;
    t.dispose();
    return v;
  };
  return {
    layers: tensors.layers.map((p) => ({ w: variable(p.w), b: variable(p.b) })),
    dense: tensors.dense.map((p) => ({ w: variable(p.w), b: variable(p.b) })),
  };
}

/** The voiced-frame mean (energy, F0) over clips' voiced statistics (voicedStats): a speaker prior's mean. */
export function voicedMean(clips: readonly SpeakerStats[]): [number, number] {
  const all = voicedStats({ rows: 3, cols: 0, data: new Float32Array(0) });
  for (const c of clips) all.merge(c);
  const { energy, f0 } = all.centre();
  return [energy, f0];
}

/**
 * Training's speaker statistics (settings.speakerNorm): the prior, each clip's speaker centre over all
 * of the speaker's clean clips (for the input scale), and a call-like centre for a training window.
 */
export function speakerCentres(
  train: readonly LabeledClip[],
  variants: readonly FeatureMatrix[][],
  o: NonNullable<TdnnTrainSettings['speakerNorm']>,
  random: Random,
) {
  // Each clip's voiced frames under each channel variant: a call's history shares its channel.
  const stats = variants.map((clips) => clips.map((mel) => voicedStats(mel)));
  const gated = o.neutralGate !== undefined;
  const prior: SpeakerPrior = {
    mean: Float32Array.from(o.priorMean ?? voicedMean(stats[0]!)),
    frames: o.priorFrames,
    ...(gated && { neutralGate: o.neutralGate }),
  };
  const neutral = EMOTIONS.indexOf('neutral');
  // Each speaker's clips that may feed their statistics: gated, only their neutral speech.
  const speakerKey = (c: LabeledClip) => `${c.clip.corpus}|${c.clip.speaker}`;
  const bySpeaker = new Map<string, number[]>();
  train.forEach((c, i) => {
    if (gated && c.label !== neutral) return;
    const clips = bySpeaker.get(speakerKey(c));
    if (clips) clips.push(i);
    else bySpeaker.set(speakerKey(c), [i]);
  });
  const peers = (i: number) => bySpeaker.get(speakerKey(train[i]!)) ?? [];
  const full = train.map((_, i) => {
    const speaker = new SpeakerStats(prior);
    for (const j of peers(i)) speaker.merge(stats[0]![j]!);
    return speaker.centre();
  });
  return {
    prior,
    full,
    /** Clip i's window ending at frame `end` under channel `variant`, measured as in a call. */
    centre(i: number, variant: number, end: number): SpeakerCentre {
      const speaker = new SpeakerStats(prior);
      const others = peers(i).filter((j) => j !== i);
      const same = others.filter((j) => train[j]!.label === train[i]!.label);
      const pool = !gated && random() < o.sameEmotion && same.length > 0 ? same : others;
      const history = Math.floor(random() * (o.maxHistory + 1));
      for (let h = 0; h < history && pool.length > 0; h++)
        speaker.merge(stats[variant]![pool[Math.floor(random() * pool.length)]!]!);
      if (!gated) speaker.add(variants[variant]![i]!, 0, end);
      return speaker.centre();
    },
  };
}
