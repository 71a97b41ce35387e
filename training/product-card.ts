// Adds the product-path evaluation of the test clips (`voicepulse eval`'s numbers) to a trained
// model's metadata, and its baseline's, then rewrites the model card: for a model trained before
// `voicepulse train` recorded it. Usage:
//   node bin/run-ts.js training/product-card.ts <model dir> <card> [baseline model dir] [data root]

import { parseEnv } from '../core/config/env.ts';
import { COMMITTED_MODEL_DIR, loadModel, saveModel } from '../core/model/format.ts';
import { writeModelCard } from './model-card.ts';
import { describe, type Evaluation, productTestEvaluation } from './pipeline.ts';

const [modelDir = COMMITTED_MODEL_DIR, card, baselineDir, dataRoot = parseEnv(process.env).data.root] =
  process.argv.slice(2);
if (!card) throw new Error('usage: product-card.ts <model dir> <card> [baseline model dir] [data root]');
const log = (m: string) => process.stderr.write(`${m}\n`);
const model = loadModel(modelDir);
const evaluation = model.metadata.evaluation as Evaluation;
evaluation.product = await productTestEvaluation(model, dataRoot, log);
log(`${model.version}, product path: ${describe(evaluation.product)}`);
const baseline = baselineDir === undefined ? undefined : loadModel(baselineDir);
if (baseline && evaluation.baseline) {
  evaluation.baseline.product = await productTestEvaluation(baseline, dataRoot);
  log(`${baseline.version}, product path: ${describe(evaluation.baseline.product)}`);
}
saveModel(model, modelDir);
await writeModelCard(card, model, modelDir, baseline);
process.stdout.write(`${card}: written from ${modelDir} with its product-path evaluation\n`);
