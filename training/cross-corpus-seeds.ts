// The leave-one-corpus-out table of a recipe over several seeds, without training its ensemble: one
// 8-epoch network per left-out corpus and seed, as the model card's (pipeline.ts crossCorpus). A single
// seed moves the table's mean by about a point (docs/model-history.md), so candidates are compared on
// the mean over seeds. Usage:
//   node bin/run-ts.js training/cross-corpus-seeds.ts [--channels n] [--pool n] [--mean-floor dB]
//     [--speaker-channels all|neutral] [--class-offsets] [seeds…]
// --class-offsets: each retraining's class offsets fitted on its training corpora's validation clips
// (training/class-offsets.ts) before it meets the left-out corpus.
import { parseArgs } from 'node:util';
import { parseEnv, parseInteger } from '../core/config/env.ts';
import { meanUa } from './evaluate.ts';
import { crossCorpus, crossRetrain, prepareData, shapeRecipe, withSpeakerChannels } from './pipeline.ts';
import { TDNN_SETTINGS } from './train-tdnn.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    channels: { type: 'string' },
    pool: { type: 'string' },
    'mean-floor': { type: 'string' },
    'speaker-channels': { type: 'string' },
    'class-offsets': { type: 'boolean' },
  },
});
const seeds = positionals.length > 0 ? positionals : ['voicepulse-1', 'voicepulse-2', 'voicepulse-3'];
// The bounds of `voicepulse train`'s flags; a bad value stops here with the flag's name.
const flag = (name: string, text: string | undefined, range: { min: number; max: number }) => {
  if (text === undefined) return undefined;
  try {
    return parseInteger(name, text, range);
  } catch (err) {
    process.stderr.write(`cross-corpus-seeds: ${(err as Error).message}\n`);
    process.exit(2);
  }
};
const history = values['speaker-channels'];
if (history !== undefined && history !== 'all' && history !== 'neutral') {
  process.stderr.write(`cross-corpus-seeds: --speaker-channels takes 'all' or 'neutral', not '${history}'\n`);
  process.exit(2);
}
const shaped = shapeRecipe(TDNN_SETTINGS, {
  channels: flag('--channels', values.channels, { min: 8, max: 512 }),
  pool: flag('--pool', values.pool, { min: 1, max: 20 }),
  meanFloorDb: flag('--mean-floor', values['mean-floor'], { min: 1, max: 120 }),
});
// A retraining is one network whatever the ensemble: its prior is its own clips' (retrainSettings).
const recipe = history ? withSpeakerChannels(shaped, history) : shaped;
const log = (m: string) => process.stderr.write(`${m}\n`);
const dataRoot = parseEnv(process.env).data.root;
const means: number[] = [];
for (const seed of seeds) {
  const settings = { ...recipe, seed };
  const { clips, store } = prepareData(
    { dataRoot, outDir: '', version: 'cross-corpus', quick: false },
    seed,
    log,
  );
  const table = await crossCorpus(clips, store, crossRetrain(store, settings), log, values['class-offsets']);
  const mean = meanUa(table);
  means.push(mean);
  const row = table.map((e) => `${e.corpus} ${(100 * e.utterance.ua).toFixed(1)}`).join(', ');
  process.stdout.write(`${seed}: ${row}; mean ${(100 * mean).toFixed(1)}\n`);
}
const overall = means.reduce((a, b) => a + b, 0) / means.length;
process.stdout.write(
  `mean over ${seeds.length} seed${seeds.length === 1 ? '' : 's'}: ${(100 * overall).toFixed(1)}\n`,
);
