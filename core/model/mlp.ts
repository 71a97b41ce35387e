// Multilayer perceptron inference. Hand-written: the network is a few small dense layers, so a
// plain Float32Array loop beats loading a tensor runtime (measured in docs/model-card.md).

export interface DenseLayer {
  inputs: number;
  outputs: number;
  /** Row-major [inputs][outputs]. */
  weights: Float32Array;
  bias: Float32Array;
}

/** Dense layers with ReLU between them; the last layer yields logits. */
export interface Mlp {
  layers: DenseLayer[];
}

export class MlpShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlpShapeError';
  }
}

export function checkMlp(mlp: Mlp): void {
  if (mlp.layers.length === 0) throw new MlpShapeError('an MLP needs at least one layer');
  mlp.layers.forEach((l, i) => {
    if (l.weights.length !== l.inputs * l.outputs || l.bias.length !== l.outputs)
      throw new MlpShapeError(`layer ${i}: weights/bias sizes do not match ${l.inputs}x${l.outputs}`);
    const prev = mlp.layers[i - 1];
    if (prev && prev.outputs !== l.inputs)
      throw new MlpShapeError(`layer ${i} takes ${l.inputs} inputs but layer ${i - 1} gives ${prev.outputs}`);
  });
}

/** out = x·W + b for one row; `out` must hold layer.outputs values. */
export function denseForward(layer: DenseLayer, x: Float32Array, out: Float32Array, relu: boolean): void {
  const { inputs, outputs, weights, bias } = layer;
  out.set(bias);
  for (let i = 0; i < inputs; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * outputs;
    for (let j = 0; j < outputs; j++) out[j]! += xi * weights[row + j]!;
  }
  if (relu) for (let j = 0; j < outputs; j++) if (out[j]! < 0) out[j] = 0;
}

/** Logits of one input vector. */
export function mlpLogits(mlp: Mlp, x: Float32Array): Float32Array {
  let h = x;
  mlp.layers.forEach((layer, i) => {
    const out = new Float32Array(layer.outputs);
    denseForward(layer, h, out, i < mlp.layers.length - 1);
    h = out;
  });
  return h;
}

/** Numerically stable softmax of logits / temperature, in place. */
export function softmaxInPlace(logits: Float32Array, temperature = 1): Float32Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i]! - max) / temperature);
    logits[i] = e;
    sum += e;
  }
  for (let i = 0; i < logits.length; i++) logits[i]! /= sum;
  return logits;
}
