// Writes docs/model-card.md from what a training run produced: the model's shape and settings, its
// evaluation record, an inference-speed measurement taken now, and confusion-matrix SVGs under
// docs/img/. How earlier versions were chosen is history, written by hand: docs/model-history.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CorpusId } from '../core/corpora/clip.ts';
import { EMOTIONS } from '../core/emotions.ts';
import type { ClassificationReport } from '../core/evaluation/classification.ts';
import type { EmotionModel } from '../core/model/format.ts';
import { ModelStream, openInstalledRunners } from '../core/model/runner.ts';
import { PROSODY_CHANNELS, receptiveField } from '../core/model/tdnn.ts';
import { TrainingError } from './errors.ts';
import { type CorpusEvaluation, meanUa } from './evaluate.ts';
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

/** Issue 16's accuracy targets: product-path utterance UA on the committed test speakers. */
const UA_TARGETS: readonly { corpus: CorpusId; label: string; goal: number }[] = [
  { corpus: 'ravdess', label: 'RAVDESS six-class UA ≥ 66 % (goal 75 %)', goal: 0.66 },
  { corpus: 'tess', label: 'TESS ≥ 98 % (word-disjoint)', goal: 0.98 },
  { corpus: 'emovo', label: 'EMOVO ≥ 45 %', goal: 0.45 },
  { corpus: 'urdu', label: 'URDU ≥ 40 %', goal: 0.4 },
];
/** Issue 16's speed target: the stream path on one core, ONNX Runtime. */
const STREAM_TARGET = 2000;

/** The targets table: each met, or by how much it misses. */
function targetsSection(
  headline: CorpusEvaluation[],
  crossCorpus: CorpusEvaluation[] | undefined,
  baseline: EmotionModel | undefined,
  speeds: SpeedMeasurement[],
): string {
  const rows = UA_TARGETS.map(({ corpus, label, goal }) => {
    const v = headline.find((e) => e.corpus === corpus)?.utterance.ua;
    const result =
      v === undefined
        ? 'corpus absent'
        : `${pct(v)} % — ${v >= goal ? 'met' : `NOT met (${pct(goal - v)} points short)`}`;
    return `| ${label} | ${result} |`;
  });
  const baseCross = (baseline?.metadata.evaluation as Evaluation | undefined)?.crossCorpus;
  if (crossCorpus && baseCross && baseline) {
    const [mine, theirs] = [meanUa(crossCorpus), meanUa(baseCross)];
    rows.push(
      `| Leave-one-corpus-out mean UA no worse than ${baseline.version}'s (${pct(theirs)} %) | ${pct(mine)} % — ${mine >= theirs ? 'met' : `NOT met (${pct(theirs - mine)} points lower)`} |`,
    );
  }
  const onnx = speeds.find((r) => r.runtime === 'onnx');
  rows.push(
    `| Stream path ≥ ${STREAM_TARGET.toLocaleString('en')}× real time per core (ONNX Runtime) | ${
      onnx === undefined
        ? 'ONNX Runtime not installed here'
        : `${onnx.realTimeFactor.toFixed(0)}× here — ${onnx.realTimeFactor >= STREAM_TARGET ? 'met' : `NOT met (${(STREAM_TARGET / onnx.realTimeFactor).toFixed(1)}× short)`}`
    }; \`npm run bench -- model\` measures it against the baseline in one run |`,
  );
  return `## Targets (issue 16; 8 kHz µ-law held-out speakers, utterance UA through the product path)

| target | result |
|---|---|
${rows.join('\n')}`;
}

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
    throw new TrainingError(
      'CARD_SECTION_MISSING',
      `${cardPath} has no '${CONFUSION_HEADING}' section followed by another section`,
    );
  const section = await writeConfusionSection(cardPath, evals);
  writeFileSync(cardPath, card.slice(0, start) + section + card.slice(end));
}

/** Each corpus's licence and the credit a product shipping weights trained on it carries (docs/licensing.md). */
const CORPUS_LICENCES: Record<
  CorpusId,
  { name: string; licence: string; credit?: string; restricted: boolean }
> = {
  ravdess: {
    name: 'RAVDESS',
    licence: 'CC BY-NC-SA 4.0',
    credit:
      'Livingstone & Russo (2018), The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS), PLoS ONE 13(5): e0196391, CC BY-NC-SA 4.0',
    restricted: true,
  },
  tess: {
    name: 'TESS',
    licence: 'CC BY-NC-ND 4.0',
    credit:
      'Dupuis & Pichora-Fuller (2010), Toronto Emotional Speech Set (TESS), University of Toronto, CC BY-NC-ND 4.0',
    restricted: true,
  },
  emovo: {
    name: 'EMOVO',
    licence: 'research use, from its authors',
    credit:
      'Costantini, Iaderola, Paoloni & Todisco (2014), EMOVO Corpus: an Italian Emotional Speech Database, LREC 2014',
    restricted: true,
  },
  urdu: {
    name: 'URDU',
    licence: 'research use, from its authors',
    credit:
      'Latif, Qayyum, Usman & Qadir (2018), Cross Lingual Speech Emotion Recognition: Urdu vs. Western Languages',
    restricted: true,
  },
  cremad: {
    name: 'CREMA-D',
    licence: 'Open Database License (ODbL), your copy',
    credit: 'Cao et al. (2014), CREMA-D: Crowd-sourced Emotional Multimodal Actors Dataset, ODbL',
    restricted: false,
  },
  savee: {
    name: 'SAVEE',
    licence: 'research use, from its authors, your copy',
    credit: 'Haq & Jackson (2009), Surrey Audio-Visual Expressed Emotion (SAVEE) database',
    restricted: true,
  },
  custom: { name: 'your own recordings', licence: 'yours: whatever rights you hold', restricted: false },
};

/**
 * The card's Licensing section for a model trained on `corpora`: each corpus's licence, what that
 * means for the weights and the attribution a product shipping them carries.
 */
export function licensingSection(corpora: readonly CorpusId[], licensingLink: string): string {
  const rows = corpora.map((c) => `| ${CORPUS_LICENCES[c].name} | ${CORPUS_LICENCES[c].licence} |`);
  const restricted = corpora.filter((c) => CORPUS_LICENCES[c].restricted);
  const credits = corpora.flatMap((c) => CORPUS_LICENCES[c].credit ?? []);
  const use =
    restricted.length > 0
      ? `**Treat these weights as non-commercial.** ${restricted.map((c) => CORPUS_LICENCES[c].name).join(', ')} ${restricted.length > 1 ? 'are' : 'is'} licensed for
non-commercial or research use only, and the safe reading is that those restrictions carry over to weights trained on
them. A commercial deployment needs a model trained on data you have rights to (\`voicepulse train --corpus\`, your own
labelled recordings: \`training/README.md\`) or licences from the corpus owners.`
      : 'Every corpus above is yours or licensed for the use you make of it: check that before you ship.';
  return `## Licensing

Trained on:

| corpus | licence |
|---|---|
${rows.join('\n')}

${use}

${credits.length > 0 ? `A product that ships these weights credits:\n\n${credits.map((c) => `- ${c}`).join('\n')}\n\n` : ''}What each licence allows, the demo clips, and training on your own data: [docs/licensing.md](${licensingLink}).
Not legal advice.`;
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
    const stream = new ModelStream();
    await runner.scoreRecording(x.subarray(0, 5 * sr));
    let ms = Number.POSITIVE_INFINITY;
    let alone = Number.POSITIVE_INFINITY;
    let windows = 0;
    for (let run = 0; run < 3; run++) {
      let t0 = performance.now();
      windows = (await runner.scoreRecording(x)).length;
      ms = Math.min(ms, performance.now() - t0);
      t0 = performance.now();
      for (let s = 0; s + 2 * sr <= x.length; s += sr)
        await runner.scoreWindows([{ stream, samples: x.subarray(s, s + 2 * sr) }]);
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

function architecture(model: EmotionModel, settings: TdnnTrainSettings): string {
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
  return `- Input (\`core/model/windows.ts\` \`windowInput\`): TELEPHONY_FEATURES log-mel (${n.nMels} Slaney bands, 25 ms Hann / 10 ms
  hop, 50–4000 Hz), ${n.pool} frames averaged (${hopMs} ms hop, ${n.frames} frames per ${model.window.lengthMs} ms window), each band's
  mean over the window${n.meanFloorDb === undefined ? '' : `'s frames within ${n.meanFloorDb} dB of its loudest (a pause of line noise does not move it)`} subtracted (per-window mean normalisation: gain and channel colouring cancel),
  divided by each channel's spread over the training windows; windows shorter than ${model.window.lengthMs} ms are tiled.${prosody}
- Network: ${n.layers.length} TDNN layers (dilated 1-D convolutions: ${n.layers.map((l) => `${l.context}-frame context, dilation ${l.dilation} → ${l.channels}`).join(', ')};
  ReLU, then per-frame layer normalisation), statistics pooling (mean and standard deviation over time),
  dense ${n.dense.join('-')} (ReLU) → ${n.classes}, softmax temperature fitted on the validation speakers' windows (minimum
  negative log-likelihood). Receptive field ${receptiveField(n)} frames (${receptiveField(n) * hopMs} ms). Utterance score = mean of
  its window probabilities.${ensemble}
- Runtime (\`core/model/runtime.ts\`): ONNX Runtime (\`onnxruntime-node\`, CPU, one intra-op thread) on a graph
  built in memory from the weights, where it installs; otherwise tfjs on the wasm backend (XNNPACK), one thread,
  binaries loaded from \`node_modules\` (no network). Training and evaluation run on tfjs wasm; the two agree to 1e-4
  per probability (\`core/model/runtime.test.ts\`).
- Training (\`training/train-tdnn.ts\`): Adam (lr ${settings.lr}, cosine decay over ${settings.maxEpochs} epochs), batch ${settings.batchSize},
  dropout ${settings.dropout} before each dense layer, label smoothing ${settings.labelSmoothing}, class balancing (each corpus×emotion
  cell weighs the same, times the corpus weights ${JSON.stringify(settings.corpusWeights)}); the weights kept are an
  exponential moving average (decay ${settings.weightAverage}) at the epoch with the best validation UA, averaged over
  corpora with weights ${JSON.stringify(settings.selectionWeights)} (patience ${settings.patience})${selection}. Augmentation: ${settings.augmentVariants} random telephone
  channels per clip (speed 0.9/1.1, 300–3400 Hz band limit, white/pink/babble noise at 0–30 dB SNR, gain −12…+6 dB,
  µ-law or A-law round trip), random 2 s crops,
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
  const settings = model.metadata.settings as TdnnTrainSettings;
  const data = model.metadata.data as Record<string, Record<string, number>>;
  const speeds = await measureSpeed(model);
  const sections: string[] = [];
  sections.push(`# Model card: ${model.version}

Six-class speech emotion model (${EMOTIONS.join(', ')}) for 8 kHz G.711 call audio. Directory:
\`${relative(process.cwd(), modelDir)}\` (\`model.json\` + \`weights.bin\`, loaded by \`core/model/format.ts\`
with no network access). Generated by \`voicepulse train\`; every number below comes from that run. Earlier versions,
the experiments that chose this recipe and the runtime measurements that chose the network: \`docs/model-history.md\`.

## Architecture

${architecture(model, settings)}

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
    const cell = (evals: CorpusEvaluation[] | undefined, corpus: string) =>
      pct(evals?.find((e) => e.corpus === corpus)?.utterance.ua ?? Number.NaN);
    const product = ev.product && baseline.product;
    sections.push(`## Compared with ${baseline.version} (same test clips, utterance UA %)

| corpus | ${baseline.version} | ${model.version} |${product ? ` ${baseline.version} (product path) | ${model.version} (product path) |` : ''}
|---|---|---|${product ? '---|---|' : ''}
${ev.test
  .map(
    (e) =>
      `| ${e.corpus} | ${cell(baseline.test, e.corpus)} | ${pct(e.utterance.ua)} |${product ? ` ${cell(baseline.product, e.corpus)} | ${cell(ev.product, e.corpus)} |` : ''}`,
  )
  .join('\n')}`);
  }

  const headline = ev.product ?? ev.test;
  const productNote = ev.product
    ? `Through the product path: \`voicepulse eval\`'s code (core/recordings/channel.ts), each clip scored as a live call
scores it (voice-activity-gated windows in order, overlapping windows sharing frame features), its utterance score
the mean of its windows.
Training's own evaluation, which selects epochs, scores every window of the whole clip's frame features instead;
its numbers follow the confusion matrices.

`
    : '';
  sections.push(`## Held-out test results (8 kHz µ-law, as stored)

${productNote}Per utterance (mean of window probabilities):

${table(headline, 'utterance')}

Per ${model.window.lengthMs} ms window:

${table(headline, 'window')}

${await writeConfusionSection(path, headline)}${
  ev.product
    ? `

Training-time evaluation of the same clips (every window of the whole clip's features), per utterance:

${table(ev.test, 'utterance')}`
    : ''
}`);

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
  // A model written before its retrainings finished has none: the baseline's are shown, labelled as such.
  const crossCorpus = ev.crossCorpus ?? baseEv?.crossCorpus;
  const crossOf = ev.crossCorpus ? '' : ` — ${baseline?.version}, not rerun for ${model.version}`;
  const retrained = `the same network trained for ${CROSS_EPOCHS} epochs instead of ${settings.maxEpochs}, to fit the 2-hour budget`;
  if (crossCorpus) {
    sections.push(`## Cross-corpus (trained without the corpus, tested on all of its clips; ${retrained}${crossOf})

${table(crossCorpus, 'utterance')}`);
  }
  const tessCross = ev.tessCrossSpeaker ?? baseEv?.tessCrossSpeaker;
  const tessOf = ev.tessCrossSpeaker ? '' : ` — ${baseline?.version}, not rerun for ${model.version}`;
  if (tessCross && Object.keys(tessCross).length > 0) {
    sections.push(`## TESS cross-speaker (trained on one TESS speaker + the other corpora, tested on the other speaker; ${retrained}${tessOf})

${[REPORT_HEADER, ...Object.entries(tessCross).map(([p, e]) => reportRow(p, e[0]!.utterance))].join('\n')}`);
  }
  sections.push(targetsSection(headline, ev.crossCorpus, baseline, speeds));
  sections.push(`## Known limits

- Acted speech (RAVDESS, TESS, EMOVO) and TV talk shows (URDU); spontaneous call-centre speech differs.
  Languages: English, Italian, Urdu only. TESS has two female speakers: its word-disjoint score is saturated
  and says little about new speakers (see the cross-speaker table).
- Test sets are small (RAVDESS: 4 actors), so UA moves by several points between seeds.
- Windows of silence or non-speech still get a six-class distribution; gate them with a voice activity detector.`);
  const licensing = fileURLToPath(new URL('../docs/licensing.md', import.meta.url));
  sections.push(licensingSection(Object.keys(data) as CorpusId[], relative(dirname(path), licensing)));
  writeFileSync(path, `${sections.join('\n\n')}\n`);
}
