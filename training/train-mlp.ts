// MLP training: minibatch AdamW with manual backprop, inverted dropout, label smoothing and
// per-example weights. Hand-written: the nets are a few small dense layers over window
// descriptors, where plain Float32Array loops train faster than tfjs wasm's backward pass
// (measured in docs/model-card.md) and add no runtime dependency.
import { type DenseLayer, denseForward, type Mlp } from '../core/model/mlp.ts';

export interface MlpTrainOptions {
  hidden: number[];
  lr: number;
  weightDecay: number;
  dropout: number;
  /** Dropout on the input descriptor (feature dropout). */
  inputDropout: number;
  labelSmoothing: number;
  batchSize: number;
}

/** Uniform [0, 1) generator, e.g. seededRandom from core/corpora/seeded.ts. */
export type Random = () => number;

export function initMlp(inputs: number, hidden: number[], classes: number, random: Random): Mlp {
  const sizes = [inputs, ...hidden, classes];
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!;
    const fanOut = sizes[l + 1]!;
    const scale = Math.sqrt(2 / fanIn); // He init for ReLU layers
    const weights = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < weights.length; i++) weights[i] = gaussian(random) * scale;
    layers.push({ inputs: fanIn, outputs: fanOut, weights, bias: new Float32Array(fanOut) });
  }
  return { layers };
}

export function gaussian(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

interface AdamState {
  m: Float32Array[];
  v: Float32Array[];
  t: number;
}

/** A trainer holding an MLP and its optimiser state; `step` runs one minibatch. */
export class MlpTrainer {
  readonly mlp: Mlp;
  private readonly adam: AdamState;
  private readonly grads: Float32Array[];

  constructor(
    mlp: Mlp,
    private readonly opts: MlpTrainOptions,
    private readonly random: Random,
  ) {
    this.mlp = mlp;
    const params = this.params();
    this.adam = {
      m: params.map((p) => new Float32Array(p.length)),
      v: params.map((p) => new Float32Array(p.length)),
      t: 0,
    };
    this.grads = params.map((p) => new Float32Array(p.length));
  }

  private params(): Float32Array[] {
    return this.mlp.layers.flatMap((l) => [l.weights, l.bias]);
  }

  /** One AdamW step on a minibatch; returns the mean weighted loss. */
  step(xs: Float32Array[], ys: number[], weights: number[], lr = this.opts.lr): number {
    const { layers } = this.mlp;
    const L = layers.length;
    const classes = layers[L - 1]!.outputs;
    for (const g of this.grads) g.fill(0);
    let loss = 0;
    let wsum = 0;
    for (const w of weights) wsum += w;
    const keepScale = 1 / (1 - this.opts.dropout);
    for (let b = 0; b < xs.length; b++) {
      // Forward, keeping each layer's (dropped-out) input for the backward pass.
      const acts: Float32Array[] = [dropout(xs[b]!, this.opts.inputDropout, this.random)];
      for (let l = 0; l < L; l++) {
        const out = new Float32Array(layers[l]!.outputs);
        denseForward(layers[l]!, acts[l]!, out, l < L - 1);
        acts.push(l < L - 1 ? dropout(out, this.opts.dropout, this.random) : out);
      }
      const logits = acts[L]!;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of logits) if (v > max) max = v;
      let sum = 0;
      const p = new Float32Array(classes);
      for (let c = 0; c < classes; c++) sum += p[c] = Math.exp(logits[c]! - max);
      const w = weights[b]! / wsum;
      let delta = new Float32Array(classes);
      const eps = this.opts.labelSmoothing;
      for (let c = 0; c < classes; c++) {
        p[c]! /= sum;
        const target = (c === ys[b] ? 1 - eps : 0) + eps / classes;
        loss -= w * target * Math.log(Math.max(p[c]!, 1e-12));
        delta[c] = w * (p[c]! - target);
      }
      // Backward.
      for (let l = L - 1; l >= 0; l--) {
        const layer = layers[l]!;
        const input = acts[l]!;
        const gW = this.grads[2 * l]!;
        const gB = this.grads[2 * l + 1]!;
        const { inputs, outputs, weights: W } = layer;
        for (let j = 0; j < outputs; j++) gB[j]! += delta[j]!;
        const prev = l > 0 ? new Float32Array(inputs) : undefined;
        for (let i = 0; i < inputs; i++) {
          const xi = input[i]!;
          const row = i * outputs;
          if (xi !== 0) for (let j = 0; j < outputs; j++) gW[row + j]! += xi * delta[j]!;
          if (prev) {
            let s = 0;
            for (let j = 0; j < outputs; j++) s += W[row + j]! * delta[j]!;
            // ReLU and dropout gradient: zero where the unit was zeroed, the keep scale where it survived.
            prev[i] = xi > 0 ? s * keepScale : 0;
          }
        }
        if (prev) delta = prev;
      }
    }
    this.applyAdam(lr);
    return loss;
  }

  private applyAdam(lr: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    const st = this.adam;
    st.t++;
    const c1 = 1 - b1 ** st.t;
    const c2 = 1 - b2 ** st.t;
    this.params().forEach((p, k) => {
      const g = this.grads[k]!;
      const m = st.m[k]!;
      const v = st.v[k]!;
      const decay = k % 2 === 0 ? this.opts.weightDecay : 0; // no decay on biases
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * gi;
        v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
        p[i]! -= lr * (m[i]! / c1 / (Math.sqrt(v[i]! / c2) + 1e-8) + decay * p[i]!);
      }
    });
  }
}

/** Inverted dropout: surviving values are scaled by 1/(1-rate), so inference needs no rescale. */
function dropout(x: Float32Array, rate: number, random: Random): Float32Array {
  if (rate <= 0) return x;
  const out = new Float32Array(x.length);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < x.length; i++) out[i] = random() < rate ? 0 : x[i]! * keep;
  return out;
}
