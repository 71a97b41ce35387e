// Writes docs/model-card.md from a trained model's evaluation record, plus the runtime
// measurements that chose the architecture, an inference-speed measurement taken now, and
// confusion-matrix SVGs under docs/img/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EMOTIONS } from '../core/emotions.ts';
import type { ClassificationReport } from '../core/evaluation/classification.ts';
import { type EmotionModel, isTdnn, type MlpModel, type TdnnModel } from '../core/model/model.ts';
import { openInstalledRunners } from '../core/model/runtime.ts';
import { PROSODY_CHANNELS, receptiveField, tf } from '../core/model/tdnn.ts';
import type { CorpusEvaluation } from './evaluate.ts';
import { CROSS_EPOCHS, type Evaluation } from './pipeline.ts';
import { confusionMatrixSvg } from './plots.ts';
import type { TdnnTrainSettings } from './train-tdnn.ts';

// NaN (a class absent from the truth) reads back from model.json as null.
const pct = (v: number | null) => (v === null || Number.isNaN(v) ? '–' : `${(100 * v).toFixed(1)}`);

function reportRow(label: string, r: ClassificationReport): string {
  return `| ${label} | ${r.n} | ${pct(r.ua)} | ${pct(r.wa)} | ${pct(r.macroF1)} | ${r.ece.toFixed(3)} | ${r.recall.map(pct).join(' / ')} |`;
}

const REPORT_HEADER = `| set | n | UA % | WA % | macro-F1 % | ECE | recall % (${EMOTIONS.join(' / ')}) |\n|---|---|---|---|---|---|---|`;

function table(evals: CorpusEvaluation[], level: 'utterance' | 'window'): string {
  return [REPORT_HEADER, ...evals.map((e) => reportRow(e.corpus, e[level]))].join('\n');
}

function confusion(e: CorpusEvaluation): string {
  const head = `| ${e.corpus} truth \\ predicted | ${EMOTIONS.join(' | ')} |\n|---|${EMOTIONS.map(() => '---').join('|')}|`;
  const rows = EMOTIONS.map((t, i) => `| ${t} | ${e.utterance.confusion[i]!.join(' | ')} |`);
  return [head, ...rows].join('\n');
}

const CONFUSION_HEADING = 'Confusion matrices (utterances):';

/**
 * The card's confusion section: per corpus, its utterance confusion table and a heatmap of it,
 * written to `<card's dir>/img/confusion-<corpus>.svg` and linked relative to the card.
 */
export async function writeConfusionSection(cardPath: string, evals: CorpusEvaluation[]): Promise<string> {
  const cardDir = dirname(cardPath);
  const imgDir = join(cardDir, 'img');
  mkdirSync(imgDir, { recursive: true });
  const parts: string[] = [];
  for (const e of evals) {
    const file = join(imgDir, `confusion-${e.corpus}.svg`);
    const title = `${e.corpus}: held-out test utterances (n = ${e.utterance.n})`;
    writeFileSync(
      file,
      await confusionMatrixSvg({ title, labels: EMOTIONS, confusion: e.utterance.confusion }),
    );
    parts.push(`${confusion(e)}\n\n![${e.corpus} confusion matrix](${relative(cardDir, file)})`);
  }
  return `${CONFUSION_HEADING}\n\n${parts.join('\n\n')}`;
}

/**
 * Rewrites only the confusion section of an existing card (and its SVGs) from a model's stored test
 * evaluation, leaving the card's other numbers — the speed measured when it was written included —
 * as they are.
 */
export async function refreshConfusionSection(cardPath: string, evals: CorpusEvaluation[]): Promise<void> {
  const card = readFileSync(cardPath, 'utf8');
  const start = card.indexOf(CONFUSION_HEADING);
  const end = card.indexOf('\n\n## ', start);
  if (start < 0 || end < 0)
    throw new Error(`${cardPath} has no '${CONFUSION_HEADING}' section followed by another section`);
  const section = await writeConfusionSection(cardPath, evals);
  writeFileSync(cardPath, card.slice(0, start) + section + card.slice(end));
}

export interface SpeedMeasurement {
  runtime: string;
  realTimeFactor: number;
  msPerWindow: number;
  msPerWindowAlone: number;
  windows: number;
}

/**
 * Per runtime that loads here (core/model/runtime.ts), the real-time factor of scoring one 60 s mono
 * stream (2 s windows, 1 s hop; best of 3 runs on this machine) and the time per 2 s window scored
 * alone (the live worker's batch-1 path).
 */
export async function measureSpeed(model: EmotionModel): Promise<SpeedMeasurement[]> {
  const sr = model.frontend.sr;
  const x = Float32Array.from(
    { length: 60 * sr },
    (_, i) => 0.3 * Math.sin(i * (0.05 + 1e-6 * i)) + 0.01 * Math.sin(i * i),
  );
  const out: SpeedMeasurement[] = [];
  for (const runner of (await openInstalledRunners(model)).runners) {
    await runner.scoreWindows(x.subarray(0, 5 * sr));
    let ms = Number.POSITIVE_INFINITY;
    let alone = Number.POSITIVE_INFINITY;
    let windows = 0;
    for (let run = 0; run < 3; run++) {
      let t0 = performance.now();
      windows = (await runner.scoreWindows(x)).length;
      ms = Math.min(ms, performance.now() - t0);
      t0 = performance.now();
      for (let s = 0; s + 2 * sr <= x.length; s += sr)
        await runner.classifyWindows([x.subarray(s, s + 2 * sr)]);
      alone = Math.min(alone, (performance.now() - t0) / (x.length / sr - 1));
    }
    out.push({
      runtime: runner.runtime,
      realTimeFactor: 60_000 / ms,
      msPerWindow: ms / windows,
      msPerWindowAlone: alone,
      windows,
    });
    await runner.release();
  }
  return out;
}

function mlpArchitecture(model: MlpModel, settings: Record<string, unknown>): string {
  return `- Frontend (\`core/model/frontend.ts\`): TELEPHONY_FEATURES log-mel (64 Slaney bands, 25 ms Hann / 10 ms hop,
  50–4000 Hz), MFCC 1–19, frame energy, and an autocorrelation pitch tracker (F0 in semitones, voicing).
- Window descriptor (\`core/model/functionals.ts\`): ${model.mean.length} statistics over a
  ${model.window.lengthMs} ms window (hop ${model.window.hopMs} ms): mel-band shape, spread and frame-to-frame change,
  MFCC mean/spread/range/change, energy range/slope, F0 mean/spread/percentiles/slope, voicing and voiced-onset rate.
- Classifier: ensemble of ${model.members.length} MLPs (${model.members[0]!.layers.map((l) => l.inputs).join('→')}→${EMOTIONS.length}, ReLU),
  probabilities averaged, softmax temperature ${model.temperature} fitted on the validation speakers.
  Utterance score = mean of its window probabilities.
- Training (\`training/\`): hand-written AdamW with manual backprop, dropout ${JSON.stringify((settings.mlp as { dropout: number }).dropout)},
  label smoothing, class balancing (each corpus×emotion cell weighs the same, times the corpus weights
  ${JSON.stringify(settings.corpusWeights)}), cosine LR decay, early stopping on the
  validation speakers' mean utterance UA; augmentation: ${String(settings.augmentVariants)} random telephone channels per clip
  (speed 0.9/1.1, 300–3400 Hz band limit, white/pink/babble noise at 0–30 dB SNR, gain −12…+6 dB, µ-law or A-law
  round trip), random 2 s crops, SpecAugment-style time masks and mel-band masks. Seed \`${String(settings.seed)}\`.`;
}

function tdnnArchitecture(model: TdnnModel, settings: TdnnTrainSettings): string {
  const n = model.network;
  const hopMs = (1000 * model.frontend.hopLength * n.pool) / model.frontend.sr;
  const prosody = n.prosody
    ? `
  Plus ${PROSODY_CHANNELS} prosody channels per frame from \`core/model/frontend.ts\` (energy in dB minus its window mean; F0 of the
  autocorrelation pitch tracker in semitones minus the window's voiced mean, 0 where unvoiced; voicing strength), so
  that pitch, which 64 mel bands over a 256-point FFT do not resolve, reaches the network.`
    : '';
  const members = model.members.length;
  const folds = ((model.metadata.evaluation as Evaluation | undefined)?.folds ?? []).filter(
    (f) => f.speakers,
  );
  const corpus = folds[0]?.corpus ?? '';
  const speakers = folds.reduce((s, f) => s + (f.speakers?.length ?? 0), 0);
  const ensemble =
    members > 1
      ? `
- Ensemble: ${members} networks of that shape, one per speaker fold (below), probabilities averaged. Each network's
  input scale and temperature are folded into its first and last layer (\`training/ensemble.ts\`), so the members
  share one input per window and ONNX Runtime runs them in one graph.`
      : '';
  const selection =
    folds.length > 1
      ? `; one network per speaker fold: the ${speakers} non-test ${corpus} speakers are cut into ${folds.length} folds
  (\`core/corpora/splits.json\`, gender- and class-balanced; the first is the manifest's validation split), each
  network is validated (early stopping, temperature) on its fold and trained on the other ${folds.length - 1}; the other corpora
  keep their manifest splits. Every non-test ${corpus} speaker trains ${folds.length - 1} of the ${folds.length} networks`
      : '';
  return `- Input (\`core/model/tdnn.ts\` \`windowInput\`): TELEPHONY_FEATURES log-mel (${n.nMels} Slaney bands, 25 ms Hann / 10 ms
  hop, 50–4000 Hz), ${n.pool} frames averaged (${hopMs} ms hop, ${n.frames} frames per ${model.window.lengthMs} ms window), each band's
  mean over the window subtracted (per-window mean normalisation: gain and channel colouring cancel),
  divided by each channel's spread over the training windows; windows shorter than ${model.window.lengthMs} ms are tiled.${prosody}
- Network: ${n.layers.length} TDNN layers (dilated 1-D convolutions: ${n.layers.map((l) => `${l.context}-frame context, dilation ${l.dilation} → ${l.channels}`).join(', ')};
  ReLU, then per-frame layer normalisation), statistics pooling (mean and standard deviation over time),
  dense ${n.dense.join('-')} (ReLU) → ${n.classes}, softmax temperature fitted on the validation speakers' windows (minimum
  negative log-likelihood). Receptive field ${receptiveField(n)} frames (${receptiveField(n) * hopMs} ms). Utterance score = mean of
  its window probabilities.${ensemble}
- Runtime (\`core/model/runtime.ts\`): ONNX Runtime (\`onnxruntime-node\`, CPU, one intra-op thread) on a graph
  built in memory from the weights, where it installs; otherwise tfjs ${tf.version_core} on the wasm backend (XNNPACK),
  one thread, binaries loaded from \`node_modules\` (no network). Training and evaluation run on tfjs wasm; the two
  agree to 1e-4 per probability (\`core/model/onnx.test.ts\`).
- Training (\`training/train-tdnn.ts\`): Adam (lr ${settings.lr}, cosine decay over ${settings.maxEpochs} epochs), batch ${settings.batchSize},
  dropout ${settings.dropout} before each dense layer, label smoothing ${settings.labelSmoothing}, class balancing (each corpus×emotion
  cell weighs the same, times the corpus weights ${JSON.stringify(settings.corpusWeights)}); the weights kept are an
  exponential moving average (decay ${settings.weightAverage}) at the epoch with the best validation UA, averaged over
  corpora with weights ${JSON.stringify(settings.selectionWeights)} (patience ${settings.patience})${selection}. Augmentation: ${settings.augmentVariants} random telephone
  channels per clip (as for the MLP: speed, band limit, noise, gain, G.711 round trip), random 2 s crops,
  SpecAugment time masks (up to 2 × 15 %) and mel-band masks (up to 8 bands). Seed \`${settings.seed}\`.`;
}

/**
 * `baseline`, when given, is the model that `model` was compared with (evaluation.baseline): its
 * robustness, cross-corpus and TESS cross-speaker results are shown where `model` has none.
 */
export async function writeModelCard(
  path: string,
  model: EmotionModel,
  modelDir: string,
  baseline?: EmotionModel,
): Promise<void> {
  const ev = model.metadata.evaluation as Evaluation;
  const baseEv = baseline?.metadata.evaluation as Evaluation | undefined;
  const settings = model.metadata.settings as Record<string, unknown>;
  const data = model.metadata.data as Record<string, Record<string, number>>;
  const speeds = await measureSpeed(model);
  const speed = speeds.reduce((a, b) => (b.realTimeFactor > a.realTimeFactor ? b : a));
  const sections: string[] = [];
  sections.push(`# Model card: ${model.version}

Six-class speech emotion model (${EMOTIONS.join(', ')}) for 8 kHz G.711 call audio. Directory:
\`${relative(process.cwd(), modelDir)}\` (\`model.json\` + \`weights.bin\`, loaded by \`core/model/model.ts\`
with no network access). Generated by \`voicepulse train${isTdnn(model) ? ' --arch tdnn' : ' --arch mlp'}\`; every number below comes from that run.

## Architecture and why

${isTdnn(model) ? tdnnArchitecture(model, settings as unknown as TdnnTrainSettings) : mlpArchitecture(model, settings)}

### Runtime measurements (2-core VM shared with other jobs, load average 4–6; one thread)

A 4-layer TDNN (128–256 channels, statistics pooling) over 64-band log-mel, batch 32:

| runtime / variant | forward / window | train step (B=32) |
|---|---|---|
| tfjs wasm, tf.matMul gradient (transposed matMul kernel), 200 frames | 2.6 ms | 1255–1365 ms |
| tfjs wasm, explicit-transpose matMul gradient, 200 frames (10 ms hop) | 3–4 ms | 360–430 ms |
| tfjs wasm, explicit-transpose gradient, 100 frames (20 ms hop) | 1.8–2.6 ms | 155–250 ms |
| same, plus per-frame layer norm | 2.0–3.4 ms | ~280 ms |
| same, taps stacked, one fused matMul+bias+ReLU per layer (the shipped inference path), 59-window batch, 67 inputs | 1.1–1.2 ms (per-tap formulation in the same run: 2.1–2.2 ms) | same kernels as above (explicit-transpose matMul) |
| tfjs cpu (pure JS), 200 frames | 140 ms | 15 500 ms |
| hand-written Float32Array GEMM, 200 frames | 56 ms (0.58 GMAC/s) | 4 760 ms |
| ONNX Runtime 1.30 (\`onnxruntime-node\`, CPU, 1 intra-op thread), the shipped network as an ONNX graph (Conv with dilations, LayerNormalization, ReduceMean, Gemm), 100 frames | 0.23 ms (tfjs wasm in the same run: 1.05 ms) | – (inference only; training stays on tfjs) |

wasm's transposed matMul (used by tf.matMul's own gradient) has no XNNPACK path: 3.4–4.1 s for
6400×128·(384×128)ᵀ versus 51 ms after an explicit transpose, so \`core/model/tdnn.ts\` wraps matMul in a
custom gradient that transposes first. With it a TDNN epoch (~3 340 windows) takes 18–28 s on one core including
validation, against ~2 s for the MLP over cached functionals. Layer norm costs ~35 % per step but converges in a
third of the epochs.

Inference speed measured while writing this card, per runtime installed here: one 60 s stream scored in 2 s windows
with 1 s hop on one core (frontend included), and a 2 s window scored alone (the live worker's batch-1 path):

| runtime | stream × real time | stream ms / window | batch-1 ms / window |
|---|---|---|---|
${speeds.map((r) => `| ${r.runtime} | **${r.realTimeFactor.toFixed(0)}×** | ${r.msPerWindow.toFixed(2)} | ${r.msPerWindowAlone.toFixed(2)} |`).join('\n')}`);

  sections.push(`## Data

Telephony editions of the corpora (8 kHz µ-law), six classes only (RAVDESS calm/surprise and TESS pleasant
surprise dropped), split by the committed manifest \`core/corpora/splits.json\` (speaker-disjoint; TESS
word-disjoint by default):

| corpus | ${['train', 'validation', 'test'].join(' | ')} |
|---|---|---|---|
${Object.entries(data)
  .map(([c, s]) => `| ${c} | ${s.train ?? 0} | ${s.validation ?? 0} | ${s.test ?? 0} |`)
  .join('\n')}`);

  if (ev.folds && ev.folds.length > 1) {
    const corpora = ev.folds[0]!.validation.map((e) => e.corpus);
    const ua = (evals: CorpusEvaluation[], corpus: string) =>
      evals.find((e) => e.corpus === corpus)?.utterance.ua ?? Number.NaN;
    const mean = (corpus: string) =>
      ev.folds!.reduce((s, f) => s + ua(f.validation, corpus), 0) / ev.folds!.length;
    const folded = ev.folds[0]!.corpus ?? '';
    sections.push(`## Speaker folds (validation utterance UA % of each network at its kept epoch)

| network | ${folded} validation speakers | kept epoch | ${corpora.join(' | ')} |
|---|---|---|${corpora.map(() => '---').join('|')}|
${ev.folds
  .map(
    (f) =>
      `| ${f.name} | ${f.speakers?.join(', ') ?? '–'} | ${f.epoch} | ${corpora.map((c) => pct(ua(f.validation, c))).join(' | ')} |`,
  )
  .join('\n')}
| mean | | | ${corpora.map((c) => pct(mean(c))).join(' | ')} |

Each network's ${folded} column is measured on speakers it never trained on, so their mean is a cross-validated
estimate over all ${ev.folds.reduce((s, f) => s + (f.speakers?.length ?? 0), 0)} non-test ${folded} speakers of what one network of this recipe reaches; the other
corpora's columns share one validation split. The shipped ensemble has no validation speakers of its own: the test
below is its only held-out measure, looked at once.`);
  }
  if (ev.baseline) {
    const { baseline } = ev;
    const cell = (evals: CorpusEvaluation[], corpus: string) =>
      pct(evals.find((e) => e.corpus === corpus)?.utterance.ua ?? Number.NaN);
    sections.push(`## Compared with ${baseline.version} (same test clips, utterance UA %)

| corpus | ${baseline.version} | ${model.version} |
|---|---|---|
${ev.test.map((e) => `| ${e.corpus} | ${cell(baseline.test, e.corpus)} | ${pct(e.utterance.ua)} |`).join('\n')}`);
  }

  sections.push(`## Held-out test results (8 kHz µ-law, as stored)

Per utterance (mean of window probabilities):

${table(ev.test, 'utterance')}

Per ${model.window.lengthMs} ms window:

${table(ev.test, 'window')}

${await writeConfusionSection(path, ev.test)}`);

  if (ev.robustness) {
    const robustness = ev.robustness;
    const rowsOf = (e: Evaluation, label: (corpus: string) => string) =>
      e.test.map((t) => {
        const cells = Object.keys(robustness).map((v) =>
          pct(e.robustness?.[v]?.find((x) => x.corpus === t.corpus)?.utterance.ua ?? Number.NaN),
        );
        return `| ${label(t.corpus)} | ${pct(t.utterance.ua)} | ${cells.join(' | ')} |`;
      });
    const rows = rowsOf(ev, (c) => c);
    if (baseEv?.robustness) rows.push(...rowsOf(baseEv, (c) => `${c} (${baseline!.version})`));
    sections.push(`## Robustness (utterance UA %, same test clips)

| corpus | µ-law as stored | ${Object.keys(robustness).join(' | ')} |
|---|---|${Object.keys(robustness)
      .map(() => '---')
      .join('|')}|
${rows.join('\n')}

\`alaw-band\`: 300–3400 Hz band limit then A-law; \`noisyN\`: white, pink or babble noise at N dB SNR, then µ-law.`);
  }
  // Older TDNN models have none: the baseline's are shown, labelled as such.
  const crossCorpus = ev.crossCorpus ?? baseEv?.crossCorpus;
  const crossOf = ev.crossCorpus ? '' : ` — ${baseline?.version}, not rerun for ${model.version}`;
  const retrained = isTdnn(model)
    ? `the same network trained for ${CROSS_EPOCHS} epochs instead of ${(settings as unknown as TdnnTrainSettings).maxEpochs}, to fit the 2-hour budget`
    : 'one ensemble member';
  if (crossCorpus) {
    sections.push(`## Cross-corpus (trained without the corpus, tested on all of its clips; ${ev.crossCorpus ? retrained : 'one ensemble member'}${crossOf})

${table(crossCorpus, 'utterance')}`);
  }
  const tessCross = ev.tessCrossSpeaker ?? baseEv?.tessCrossSpeaker;
  const tessOf = ev.tessCrossSpeaker ? '' : ` — ${baseline?.version}, not rerun for ${model.version}`;
  if (tessCross && Object.keys(tessCross).length > 0) {
    sections.push(`## TESS cross-speaker (trained on one TESS speaker + the other corpora, tested on the other speaker; ${ev.tessCrossSpeaker ? retrained : 'one ensemble member'}${tessOf})

${[REPORT_HEADER, ...Object.entries(tessCross).map(([p, e]) => reportRow(p, e[0]!.utterance))].join('\n')}`);
  }
  const ua = (corpus: string) => ev.test.find((e) => e.corpus === corpus)?.utterance.ua;
  const target = (corpus: string, goal: number) => {
    const v = ua(corpus);
    return v === undefined ? 'corpus absent' : `${pct(v)} % — ${v >= goal ? 'met' : 'NOT met'}`;
  };
  sections.push(`## Targets (8 kHz µ-law held-out speakers, utterance UA)

| target | result |
|---|---|
| RAVDESS six-class UA ≥ 65 % (goal 75 %) | ${target('ravdess', 0.65)} |
| TESS ≥ 98 % (word-disjoint) | ${target('tess', 0.98)} |
| Inference ≥ 500× real time per core | ${speed.realTimeFactor.toFixed(0)}× here (${speed.runtime}; ${speeds.map((r) => `${r.runtime} ${r.realTimeFactor.toFixed(0)}×`).join(', ')}); see \`npm run bench -- model\` |

What was tried for RAVDESS. MLP over window functionals (two ensemble members each, 25 epochs, same cache,
RAVDESS test UA): baseline MLP 256-128 44 %; RAVDESS loss weight ×3 48 %; linear softmax 36 %; one 512 layer with
dropout 0.5 43 %; 512-128 with TESS weight ½ 45 %; richer functionals plus a stricter pitch voicing gate moved
RAVDESS *validation* UA from 50 % to 55 % but not test UA (43 %); the 5-member ensemble emotion-mlp-v1 (still in models/)
reached 51.6 % validation / 46.9 % test. Frame-level TDNN (one network, same seed and cache, validation UA):
without normalisation layers, after 9 epochs RAVDESS was at 43 % and TESS at 85 %, and URDU swung between 0 and 44 %;
per-frame layer norm reached RAVDESS 49–60 % (swinging from epoch to epoch) and TESS 98 % by epoch 15; validating
an exponential moving average of the weights instead of the raw weights smoothed RAVDESS to 55–61 % over the last
12 epochs: emotion-tdnn-v1 (log-mel only), 59.4 % validation / 55.7 % test.

Then, on the same seed and cache (25 epochs each, one run each; validation utterance UA %, weighted score = the
early-stopping score with RAVDESS ×3; emotion-tdnn-v1's row is from its own training record):

| variant | RAVDESS | TESS | EMOVO | URDU | weighted | RAVDESS recall % (ang / dis / fea / hap / neu / sad) |
|---|---|---|---|---|---|---|
| log-mel only (emotion-tdnn-v1) | 59.4 | 96.9 | 33.3 | 63.0 | 61.9 | – |
| + energy, F0, voicing channels | 62.5 | 98.6 | 28.6 | 56.8 | 61.9 | 78 / 81 / 50 / 50 / 75 / 41 |
| + the same, one gain mean per window instead of per-band means (spectral envelope kept) | 54.2 | 98.1 | 38.1 | 35.4 | 55.5 | 84 / 81 / 38 / 50 / 63 / 9 |
| + prosody, mixup on half the windows | stopped after 6 epochs, behind the row above at every epoch (RAVDESS 44.3 vs 51.0 at epoch 5) | | | | | |

The prosody channels were kept (RAVDESS, the target corpus, +3.1; they also lift sad recall, 41 % on validation);
emotion-tdnn-v2 was that configuration trained again by \`voicepulse train\` after the switch to the stacked-tap kernels
(same seed; float summation order differs); the per-band mean stays (the gain-only variant lost 8 points on RAVDESS
and sad recall collapsed). Attentive statistics pooling was implemented but not trained in the time left, and is not
in the code.

For emotion-tdnn-v3, the same network and cache (one run each; validation utterance UA %, weighted as above):

| variant | RAVDESS | TESS | EMOVO | URDU | weighted | kept epoch | RAVDESS recall % (ang / dis / fea / hap / neu / sad) |
|---|---|---|---|---|---|---|---|
| emotion-tdnn-v2 (25 epochs) | 62.5 | 99.2 | 28.6 | 61.5 | 62.8 | 22 | – |
| + calm and surprise clips as two extra outputs, dropped from the shipped network (more clips per speaker), 25 epochs | 62.0 | 99.4 | 34.5 | 41.1 | 60.4 | 21 | 81 / 91 / 53 / 34 / 81 / 31 |
| 40 epochs (cosine decay over 40) | 65.6 | 99.4 | 36.9 | 61.5 | 65.8 | 25 | 78 / 88 / 47 / 66 / 81 / 34 |
| 40 epochs, seed \`voicepulse-2\` | 68.8 | 100.0 | 31.0 | 57.3 | 65.7 | 28 | 75 / 91 / 59 / 66 / 100 / 22 |
| 60 epochs (emotion-tdnn-v3's selection run) | 69.3 | 99.7 | 39.3 | 46.4 | 65.5 | 51 | 81 / 91 / 50 / 66 / 75 / 53 |
| mean probabilities of the two rows above (a 2-member ensemble) | 68.2 | 99.7 | 36.9 | 57.3 | – | – | – |

The auxiliary classes did not help and are not in the code. Longer training did: RAVDESS validation UA was still
rising at the end of the 25-epoch schedule. A 2-member ensemble of networks trained on the same speakers did
not beat its members on validation, so emotion-tdnn-v3 shipped one network, retrained for the kept number of epochs
on the training and validation speakers together (a refit, since removed from the code). The cross-corpus
and TESS cross-speaker retrainings above use one network of the shipped shape with ${CROSS_EPOCHS} epochs each;
they transfer worse than the MLP over window functionals did (emotion-mlp-v1's stored runs, one member each, 40 epochs:
without RAVDESS 30.7 %, TESS 55.9 %, EMOVO 30.2 %, URDU 38.3 %; TESS oaf-to-yaf 79.8 %, yaf-to-oaf 63.0 %): the
frame-level network fits the training corpora's recording conditions more closely.

The test outcome: the 60-epoch recipe with the refit raised RAVDESS *validation* UA from 62.5 to 69.3 % but not
*test* UA (emotion-tdnn-v2 59.4 %, emotion-tdnn-v3 58.3 %). Per test actor (utterance UA %, v3 / v2, measured after
the run): actor 01 64.6 / 62.5, actor 04 60.4 / 68.8, actor 09 56.3 / 56.3, actor 18 52.1 / 50.0; sad recall is 13 %
for actors 01 and 04, neutral recall 0 % for actor 18 (4 neutral clips per actor). With 4 actors per split,
picking one of 60 epochs on validation fits the validation actors, and one clip moves a test actor's class recall by
12.5 points. emotion-tdnn-v3 ships because the procedure fixed before the test was looked at picks it (and it learned
from 4 more actors); the test says the two are level. 65 % likely needs more speakers than RAVDESS's 18 training and
validation actors, model choices cross-validated over speakers rather than one 4-actor validation split, or a
pretrained speech encoder, which this project does not ship.

emotion-tdnn-v4 takes the second of those. Each network is trained as emotion-tdnn-v3's selection run was (same
settings and seed), but there are four, one per speaker fold of the 18 non-test RAVDESS actors (the first fold is
v3's validation split, whose network is v3's selection run again, bit for bit: kept epoch 51, 69.3 %), and the shipped
model averages them. The fold table above shows how much one 4–5-actor split says: the three new folds' actors reach
58.3–60.4 % where v3's validation actors reached 69.3 %, so v3's 69.3 % was an easy split, not a better recipe;
the folds' mean (the cross-validated estimate for one network) is 61.7 %. Every non-test actor now trains three of
the four networks, and no actor's validation picks the epoch of the networks it trains. Four members, not more:
the ensemble costs four network passes per window (runtime table above). The rule, written down before the test was
looked at: ship the four-fold ensemble, with no member added or dropped afterwards, unless its RAVDESS test UA fell
more than 3 points below v3's. Test, looked at once: RAVDESS **65.1 %** (v3 58.3 %), TESS 100 %, EMOVO 42.9 %
(v3 48.8 %), URDU 30.9 % (v3 33.9 %). Per test actor (v4 / v3, measured after): 01 66.7 / 64.6, 04 72.9 / 60.4,
09 64.6 / 56.3, 18 56.3 / 52.1: every test actor gains. Sad stays the weakest class (13 % recall for actors 01 and
04), and actor 18's four neutral clips are all missed. One test utterance moves RAVDESS UA by 0.5–1 point, so
65.1 % meets the 65 % target by a single utterance's margin; the cross-validated 61.7 % for one network says the
recipe sits near, not safely above, the target. EMOVO and URDU (one validation split each, not folded, so their
validation speakers never train) lost 3–6 points against v3, which trained on its validation speakers.`);
  sections.push(`## Known limits

- Acted speech (RAVDESS, TESS, EMOVO) and TV talk shows (URDU); spontaneous call-centre speech differs.
  Languages: English, Italian, Urdu only. TESS has two female speakers: its word-disjoint score is saturated
  and says little about new speakers (see the cross-speaker table).
- Test sets are small (RAVDESS: 4 actors), so UA moves by several points between seeds.
- Windows of silence or non-speech still get a six-class distribution; gate them with a voice activity detector.`);
  writeFileSync(path, `${sections.join('\n\n')}\n`);
}
