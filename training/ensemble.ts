// Networks trained on different speaker folds, joined into one ensemble model that averages their
// probabilities. Each network was trained with its own input scale and calibrated with its own
// temperature; both are linear, so they fold exactly into its weights and the members share one
// input (one windowInput per window, one ONNX call) and the ensemble's temperature is 1.
import type { EmotionModel } from '../core/model/format.ts';
import type { TdnnWeights } from '../core/model/tdnn.ts';
import { TrainingError } from './errors.ts';

export function ensembleOf(version: string, models: readonly EmotionModel[]): EmotionModel {
  const first = models[0];
  if (!first) throw new TrainingError('ENSEMBLE_MISMATCH', 'an ensemble needs at least one network');
  // Speaker channels are measured against one prior: members trained on different speakers differ.
  const shape = (m: EmotionModel) =>
    JSON.stringify([
      m.labels,
      m.frontend,
      m.window,
      m.network,
      m.speakerPrior && [Array.from(m.speakerPrior.mean), m.speakerPrior.frames],
    ]);
  if (models.some((m) => shape(m) !== shape(first)))
    throw new TrainingError(
      'ENSEMBLE_MISMATCH',
      'ensemble members differ in labels, frontend, window, network shape or speaker prior',
    );
  const scale = first.scale;
  return {
    ...first,
    version,
    temperature: 1,
    members: models.flatMap((m) => m.members.map((w) => rescaled(w, scale, m.scale, m.temperature))),
    metadata: {},
  };
}

/**
 * `weights` reading inputs divided by `shared` instead of `own` (first-layer rows × shared/own)
 * with logits divided by `temperature` (last layer ÷ temperature).
 */
function rescaled(
  weights: TdnnWeights,
  shared: Float32Array,
  own: Float32Array,
  temperature: number,
): TdnnWeights {
  const [first, ...layers] = weights.layers;
  const w = Float32Array.from(first!.w);
  const cols = w.length / shared.length;
  for (let j = 0; j < shared.length; j++) {
    const ratio = shared[j]! / own[j]!;
    for (let c = j * cols; c < (j + 1) * cols; c++) w[c]! *= ratio;
  }
  const last = weights.dense.at(-1)!;
  return {
    layers: [{ w, b: first!.b }, ...layers],
    dense: [
      ...weights.dense.slice(0, -1),
      { w: last.w.map((v) => v / temperature), b: last.b.map((v) => v / temperature) },
    ],
  };
}
