// Networks of small shapes for the model, ONNX and ensemble tests; their weights and models come from
// the untrained-model generator the product's demo placeholder uses (core/model/untrained.ts).
import type { TdnnConfig } from '../tdnn.ts';

export { randomTdnn, randomWeights, seededModel } from '../untrained.ts';

/** A small two-layer network (for tests that need one of some shape, not a particular one). */
export function smallNetwork(over: Partial<TdnnConfig> = {}): TdnnConfig {
  return {
    nMels: 6,
    pool: 1,
    frames: 20,
    layers: [
      { context: 3, dilation: 1, channels: 8 },
      { context: 3, dilation: 2, channels: 8 },
    ],
    dense: [8],
    classes: 6,
    ...over,
  };
}

/** A tiny network (12 pooled frames of 4 bands, receptive field 5) for tests that count by hand. */
export function tinyNetwork(): TdnnConfig {
  const layers = [
    { context: 3, dilation: 1, channels: 5 },
    { context: 2, dilation: 2, channels: 3 },
  ];
  return smallNetwork({ nMels: 4, pool: 2, frames: 12, layers, dense: [4] });
}
