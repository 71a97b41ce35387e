// Trains the emotion model: an ensemble of MLPs over window descriptors, on the training speakers
// of every corpus present, with channel augmentation, crops, masks, class balancing and early
// stopping on the validation speakers; the softmax temperature is fitted on validation.
import type { CorpusId } from '../core/corpora/clip.ts';
import { EMOTIONS } from '../core/emotions.ts';
import type { FeatureMatrix } from '../core/features/matrix.ts';
import { DEFAULT_FRONTEND } from '../core/model/frontend.ts';
import { functionalsSize, windowFunctionals } from '../core/model/functionals.ts';
import type { Mlp } from '../core/model/mlp.ts';
import { ensembleProbs, type MlpModel, memberLogits, windowFrames } from '../core/model/model.ts';
import { seededRandom, shuffled } from '../core/random.ts';
import { type DescriptorStore, type LabeledClip, loadTrainingSets } from './dataset.ts';
import { type EvalItem, evaluateByCorpus } from './evaluate.ts';
import { initMlp, MlpTrainer, type MlpTrainOptions } from './train-mlp.ts';
import { augmentedDescriptor, randomCrops } from './windows.ts';

export interface TrainSettings {
  seed: string;
  windowMs: number;
  hopMs: number;
  /** Augmented channel variants per training clip, besides the clean one. */
  augmentVariants: number;
  members: number;
  maxEpochs: number;
  patience: number;
  mlp: MlpTrainOptions;
  /** Relative weight of each corpus in the loss (default 1). */
  corpusWeights: Partial<Record<CorpusId, number>>;
}

export const FULL_SETTINGS: TrainSettings = {
  seed: 'voicepulse-1',
  windowMs: 2000,
  hopMs: 1000,
  augmentVariants: 4,
  members: 5,
  maxEpochs: 40,
  patience: 10,
  mlp: {
    hidden: [256, 128],
    lr: 1e-3,
    weightDecay: 1e-3,
    dropout: 0.3,
    inputDropout: 0.1,
    labelSmoothing: 0.1,
    batchSize: 32,
  },
  // RAVDESS is the product's closest match (North American English, many speakers) and its target.
  corpusWeights: { ravdess: 3 },
};

export const QUICK_SETTINGS: TrainSettings = {
  ...FULL_SETTINGS,
  augmentVariants: 1,
  members: 1,
  maxEpochs: 12,
  patience: 12,
  mlp: { ...FULL_SETTINGS.mlp, hidden: [32] },
};

export interface EpochRecord {
  member: number;
  epoch: number;
  loss: number;
  /** Mean over corpora of the utterance-level validation UA. */
  valUa: number;
}

export interface TrainedModel {
  model: MlpModel;
  history: EpochRecord[];
}

const VALIDATION_DROP_NOTE = 'early stopping keeps the epoch with the best mean validation UA';

export async function trainModel(
  version: string,
  clips: LabeledClip[],
  store: DescriptorStore,
  settings: TrainSettings,
  log: (msg: string) => void = () => {},
): Promise<TrainedModel> {
  const frontend = DEFAULT_FRONTEND;
  const {
    train,
    trainFeatures: trainLld,
    valItems,
  } = await loadTrainingSets(store, clips, settings.augmentVariants);

  const msPerFrame = (1000 * frontend.hopLength) / frontend.sr;
  const crop = {
    lengthFrames: Math.round(settings.windowMs / msPerFrame),
    hopFrames: Math.round(settings.hopMs / msPerFrame),
  };
  const { mean, std } = normalisation(trainLld[0]!, crop.lengthFrames, crop.hopFrames);

  const cellWeight = balancingWeights(train, settings.corpusWeights);

  const base: Omit<MlpModel, 'members'> = {
    version,
    labels: EMOTIONS,
    frontend,
    window: { lengthMs: settings.windowMs, hopMs: settings.hopMs },
    mean,
    std,
    temperature: 1,
    metadata: {},
  };
  const history: EpochRecord[] = [];
  const members: Mlp[] = [];
  for (let member = 0; member < settings.members; member++) {
    const random = seededRandom(`${settings.seed}|member${member}`);
    const trainer = new MlpTrainer(
      initMlp(mean.length, settings.mlp.hidden, EMOTIONS.length, random),
      settings.mlp,
      random,
    );
    let best = { score: -1, mlp: cloneMlp(trainer.mlp), epoch: 0 };
    for (let epoch = 0; epoch < settings.maxEpochs && epoch - best.epoch <= settings.patience; epoch++) {
      const samples: { x: Float32Array; y: number; w: number }[] = [];
      train.forEach((c, i) => {
        const lld = trainLld[Math.floor(random() * trainLld.length)]![i]!;
        for (const range of randomCrops(lld.cols, crop, random))
          samples.push({
            x: augmentedDescriptor(lld, frontend, range, mean, std, random),
            y: c.label,
            w: cellWeight(c),
          });
      });
      const meanW = samples.reduce((s, x) => s + x.w, 0) / samples.length;
      const order = shuffled(samples, random);
      // Cosine learning-rate decay over the epoch budget.
      const lr = settings.mlp.lr * 0.5 * (1 + Math.cos((Math.PI * epoch) / settings.maxEpochs));
      let loss = 0;
      const bs = settings.mlp.batchSize;
      for (let b = 0; b < order.length; b += bs) {
        const batch = order.slice(b, b + bs);
        const l = trainer.step(
          batch.map((s) => s.x),
          batch.map((s) => s.y),
          batch.map((s) => s.w / meanW),
          lr,
        );
        loss += (l * batch.length) / order.length;
      }
      const evals = evaluateByCorpus({ ...base, members: [trainer.mlp] }, valItems);
      const valUa = evals.reduce((s, e) => s + e.utterance.ua, 0) / evals.length;
      history.push({ member, epoch, loss, valUa });
      log(
        `member ${member} epoch ${epoch}: loss ${loss.toFixed(4)} val UA ${(100 * valUa).toFixed(1)} % (${samples.length} windows)`,
      );
      if (valUa > best.score) best = { score: valUa, mlp: cloneMlp(trainer.mlp), epoch };
    }
    log(
      `member ${member}: best epoch ${best.epoch}, val UA ${(100 * best.score).toFixed(1)} % (${VALIDATION_DROP_NOTE})`,
    );
    members.push(best.mlp);
  }
  const model: MlpModel = { ...base, members };
  model.temperature = fitTemperature(validationLogits(model, valItems));
  log(`temperature ${model.temperature.toFixed(2)}`);
  return { model, history };
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

/** Per-dimension mean and std of the clean training windows' descriptors. */
function normalisation(llds: FeatureMatrix[], lengthFrames: number, hopFrames: number) {
  const dims = functionalsSize(DEFAULT_FRONTEND);
  const sum = new Float64Array(dims);
  const sq = new Float64Array(dims);
  let n = 0;
  for (const lld of llds)
    for (const [s, e] of windowFrames(lld.cols, lengthFrames, hopFrames)) {
      const v = windowFunctionals(lld, DEFAULT_FRONTEND, s, e);
      for (let d = 0; d < dims; d++) {
        sum[d]! += v[d]!;
        sq[d]! += v[d]! * v[d]!;
      }
      n++;
    }
  const mean = Float32Array.from(sum, (s) => s / n);
  const std = Float32Array.from(sq, (s, d) => Math.max(1e-3, Math.sqrt(Math.max(0, s / n - mean[d]! ** 2))));
  return { mean, std };
}

/** Each validation window's member logits, for fitTemperature. */
function validationLogits(model: MlpModel, items: EvalItem[]): TemperatureWindow[] {
  const msPerFrame = (1000 * model.frontend.hopLength) / model.frontend.sr;
  const length = Math.round(model.window.lengthMs / msPerFrame);
  const hop = Math.round(model.window.hopMs / msPerFrame);
  return items.flatMap((item) =>
    windowFrames(item.lld.cols, length, hop).map(([s, e]) => ({
      logits: memberLogits(model, windowFunctionals(item.lld, model.frontend, s, e)),
      label: item.label,
    })),
  );
}

export interface TemperatureWindow {
  /** Logits of each ensemble member (one for a single network). */
  logits: Float32Array[];
  label: number;
}

/** The softmax temperature minimising the windows' negative log-likelihood (grid 0.25–3, step 0.05). */
export function fitTemperature(windows: readonly TemperatureWindow[]): number {
  let best = { t: 1, nll: Number.POSITIVE_INFINITY };
  for (let t = 0.25; t <= 3.001; t += 0.05) {
    let nll = 0;
    for (const w of windows) nll -= Math.log(Math.max(1e-12, ensembleProbs(w.logits, t)[w.label]!));
    if (nll < best.nll) best = { t, nll };
  }
  return Math.round(best.t * 100) / 100;
}

function cloneMlp(mlp: Mlp): Mlp {
  return { layers: mlp.layers.map((l) => ({ ...l, weights: l.weights.slice(), bias: l.bias.slice() })) };
}

/** Corpora present in `clips`. */
export function corporaOf(clips: LabeledClip[]): CorpusId[] {
  return [...new Set(clips.map((c) => c.clip.corpus))];
}
