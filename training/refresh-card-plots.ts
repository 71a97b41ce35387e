// Redraws the model card's confusion matrices (tables and docs/img/confusion-*.svg) from a trained
// model's stored test evaluation, without retraining or re-measuring anything else on the card.
// Usage: npx tsx training/refresh-card-plots.ts [model dir (default: the committed model)] [card]
import { fileURLToPath } from 'node:url';
import { COMMITTED_MODEL_DIR, loadModel } from '../core/model/format.ts';
import { refreshConfusionSection } from './model-card.ts';
import type { Evaluation } from './pipeline.ts';

const [
  modelDir = COMMITTED_MODEL_DIR,
  card = fileURLToPath(new URL('../docs/model-card.md', import.meta.url)),
] = process.argv.slice(2);
await refreshConfusionSection(card, (loadModel(modelDir).metadata.evaluation as Evaluation).test);
process.stdout.write(`${card}: confusion section and plots redrawn from ${modelDir}\n`);
