// Fits a model's class offsets (training/class-offsets.ts) on the validation speakers of every corpus
// through the product path, and writes the model with them. With --corpus, on the validation speakers
// of your own labelled recordings alone (`voicepulse train --corpus`'s folder and labels). Usage:
//   node bin/run-ts.js training/fit-class-offsets.ts <model dir> <out dir> [--version <name>]
//     [--corpus <dir> [--labels <csv>]]
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseEnv } from '../core/config/env.ts';
import type { CorpusClip } from '../core/corpora/clip.ts';
import { type EmotionModel, loadModel, saveModel } from '../core/model/format.ts';
import { fitOnPredictions } from './class-offsets.ts';
import { predictProductPath } from './evaluate.ts';
import { prepareData } from './pipeline.ts';

/** What speakerFolds reads of a model's training record (pipeline.ts FoldResult, as written). */
const recordedFolds = z.object({
  evaluation: z.object({
    folds: z.array(z.object({ corpus: z.string(), speakers: z.array(z.string()).min(1) })).min(2),
  }),
});

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { version: { type: 'string' }, corpus: { type: 'string' }, labels: { type: 'string' } },
});
const [from, to] = positionals;
if (!from || !to || (values.labels && !values.corpus)) {
  process.stderr.write(
    'usage: fit-class-offsets.ts <model dir> <out dir> [--version <name>] [--corpus <dir> [--labels <csv>]]\n',
  );
  process.exit(2);
}
// A model or corpus that cannot be read stops here with one line, not a stack.
process.on('uncaughtException', (err) => {
  process.stderr.write(`fit-class-offsets: ${err.message}\n`);
  process.exit(1);
});
const log = (m: string) => process.stderr.write(`${m}\n`);
const { classOffsets: _, ...model } = loadModel(from);
const { clips, store } = prepareData(
  {
    dataRoot: parseEnv(process.env).data.root,
    outDir: '',
    version: 'class-offsets',
    quick: false,
    ...(values.corpus && { own: { root: values.corpus, labels: values.labels, only: true } }),
  },
  'voicepulse-1',
  log,
);
const audio = (clip: CorpusClip) => store.loadAudio(clip);
// An ensemble of speaker folds (v4's) trained every member but one on each fold's speakers: that
// corpus's clips are scored out of fold, each fold's non-test clips by the member that held it out.
const folds = speakerFolds(model);
const held = folds ? clips.filter((c) => c.clip.corpus === folds.corpus && c.split !== 'test') : [];
const validation = clips.filter((c) => c.split === 'validation' && c.clip.corpus !== folds?.corpus);
const preds = await predictProductPath(model, validation, audio);
const items = validation.map((c) => ({ label: c.label, corpus: c.clip.corpus }));
if (folds)
  for (const [k, speakers] of folds.speakers.entries()) {
    const fold = held.filter((c) => speakers.includes(c.clip.speaker));
    preds.push(...(await predictProductPath({ ...model, members: [model.members[k]!] }, fold, audio)));
    items.push(...fold.map((c) => ({ label: c.label, corpus: c.clip.corpus })));
  }
const fit = fitOnPredictions(preds, items, model.labels);
const offsets = Object.fromEntries(
  model.labels.map((l, k) => [l, Math.round(1000 * fit.offsets[k]!) / 1000]),
);
log(
  `offsets ${JSON.stringify(offsets)}; validation mean UA ${(100 * fit.before).toFixed(1)} → ${(100 * fit.after).toFixed(1)}`,
);
saveModel(
  {
    ...model,
    version: values.version ?? model.version,
    classOffsets: fit.offsets,
    metadata: {
      ...model.metadata,
      classOffsets: {
        from: model.version,
        fittedOn: `validation speakers of every corpus, product path${folds ? `; ${folds.corpus} out of fold` : ''} (training/class-offsets.ts)`,
        clips: Object.fromEntries(
          [...new Set(items.map((i) => i.corpus))].map((c) => [
            c,
            items.filter((i) => i.corpus === c).length,
          ]),
        ),
        validationMeanUa: { before: fit.before, after: fit.after },
      },
    },
  },
  to,
);
log(`written to ${to}`);

/** The corpus and speakers of each member's held-out fold, when the model's members are speaker folds. */
function speakerFolds(m: EmotionModel): { corpus: string; speakers: string[][] } | undefined {
  const parsed = recordedFolds.safeParse(m.metadata);
  if (!parsed.success) return undefined;
  const { folds } = parsed.data.evaluation;
  const corpus = folds[0]!.corpus;
  if (folds.length !== m.members.length || folds.some((f) => f.corpus !== corpus)) return undefined;
  return { corpus, speakers: folds.map((f) => f.speakers) };
}
