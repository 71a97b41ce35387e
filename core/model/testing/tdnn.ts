// Seeded random TDNN models: of any shape for the model, ONNX and ensemble tests, and of the product's
// input (seededModel) for every test that scores live audio, the benchmarks and the untrained demo.
import { EMOTIONS } from '../../emotions.ts';
import { TELEPHONY_FEATURES } from '../../features/config.ts';
import { seededRandom } from '../../random.ts';
import type { EmotionModel, WindowConfig } from '../format.ts';
import { DEFAULT_FRONTEND } from '../frontend.ts';
import { inputWidth, type TdnnConfig, type TdnnWeights, weightShapes } from '../tdnn.ts';

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

export function randomWeights(network: TdnnConfig, seed: string): TdnnWeights {
  const random = seededRandom(seed);
  const arrays = weightShapes(network).map(({ w, b }) => ({
    w: Float32Array.from({ length: w[0] * w[1] }, () => random() - 0.5),
    b: Float32Array.from({ length: b }, () => random() - 0.5),
  }));
  return { layers: arrays.slice(0, network.layers.length), dense: arrays.slice(network.layers.length) };
}

/** A model of `network` with `members` random networks (seeded by `seed`), its scale filled with `scale`. */
export function randomTdnn(
  network: TdnnConfig,
  seed: string,
  opts: {
    members?: number;
    scale?: number;
    temperature?: number;
    version?: string;
    window?: WindowConfig;
  } = {},
): EmotionModel {
  return {
    version: opts.version ?? `test-${seed}`,
    labels: EMOTIONS,
    frontend: network.prosody ? DEFAULT_FRONTEND : TELEPHONY_FEATURES,
    window: opts.window ?? { lengthMs: 2000, hopMs: 1000 },
    network,
    scale: new Float32Array(inputWidth(network)).fill(opts.scale ?? 1),
    temperature: opts.temperature ?? 0.8,
    members: Array.from({ length: opts.members ?? 1 }, (_, k) =>
      randomWeights(network, k === 0 ? seed : `${seed}|${k}`),
    ),
    metadata: { note: 'test' },
  };
}

/**
 * A small untrained model that reads what the product's model reads (64 log-mel bands + energy, F0
 * and voicing, 2 s windows every 1 s) and runs on the same runtimes: its scores are deterministic,
 * lively functions of the audio (scale 8 keeps its inputs in the trained model's range), which is all
 * a streaming test needs.
 */
export function seededModel(seed: string, version = `test-${seed}`): EmotionModel {
  const network = smallNetwork({
    nMels: 64,
    prosody: true,
    pool: 2,
    frames: 100,
    layers: [
      { context: 5, dilation: 1, channels: 16 },
      { context: 3, dilation: 2, channels: 16 },
    ],
    dense: [16],
  });
  return randomTdnn(network, seed, { scale: 8, temperature: 1, version });
}
