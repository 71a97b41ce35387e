// Untrained TDNN models with seeded random weights. The product uses one (untrainedModel) as the
// clearly labelled placeholder `npm start`'s demo runs before a model is trained; tests use the same
// generator (core/model/testing/tdnn.ts) for every shape they need.
import { EMOTIONS } from '../emotions.ts';
import { TELEPHONY_FEATURES } from '../features/config.ts';
import { seededRandom } from '../random.ts';
import type { EmotionModel, WindowConfig } from './format.ts';
import { DEFAULT_FRONTEND } from './frontend.ts';
import { inputWidth, type TdnnConfig, type TdnnWeights, weightShapes } from './tdnn.ts';

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
 * a streaming test or the untrained demo needs.
 */
export function seededModel(seed: string, version = `test-${seed}`): EmotionModel {
  const network: TdnnConfig = {
    nMels: 64,
    prosody: true,
    pool: 2,
    frames: 100,
    layers: [
      { context: 5, dilation: 1, channels: 16 },
      { context: 3, dilation: 2, channels: 16 },
    ],
    dense: [16],
    classes: EMOTIONS.length,
  };
  return randomTdnn(network, seed, { scale: 8, temperature: 1, version });
}
