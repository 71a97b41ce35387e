// An untrained emotion model of the product's shape (seeded random weights): for tests, the bench
// and the demo before a model is trained. Its outputs are deterministic functions of the audio, which
// is all the streaming tests need; inference costs what the trained model's does.
import { EMOTIONS } from '../../../../core/emotions.ts';
import { DEFAULT_FRONTEND } from '../../../../core/model/frontend.ts';
import { functionalsSize } from '../../../../core/model/functionals.ts';
import type { EmotionModel } from '../../../../core/model/model.ts';

export function randomModel(seed = 1, version = 'test-mlp'): EmotionModel {
  const dims = functionalsSize(DEFAULT_FRONTEND);
  let s = seed >>> 0 || 1;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const hidden = 16;
  const layer = (inputs: number, outputs: number, scale: number) => ({
    inputs,
    outputs,
    weights: Float32Array.from({ length: inputs * outputs }, () => rand() * scale),
    bias: Float32Array.from({ length: outputs }, () => rand() * 0.1),
  });
  return {
    version,
    labels: EMOTIONS,
    frontend: DEFAULT_FRONTEND,
    window: { lengthMs: 2000, hopMs: 1000 },
    // Descriptors mix dB levels (tens) and small statistics; a unit std keeps the logits lively.
    mean: new Float32Array(dims),
    std: new Float32Array(dims).fill(20),
    temperature: 1,
    members: [{ layers: [layer(dims, hidden, 0.5), layer(hidden, EMOTIONS.length, 1)] }],
    metadata: { purpose: 'test' },
  };
}
