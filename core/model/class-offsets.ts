// Per-class offsets of a model's window log-probabilities: p_k · e^(b_k), renormalised. UA weighs
// every class alike, and a network's class priors drift between the corpora it trained on and the
// speech it hears; offsets fitted on held-out speakers (training/class-offsets.ts) move its decision
// boundaries without retraining. Applied to every scored window, so live scores, `classify`, `eval`
// and training's own evaluations all see the same probabilities.

/** e^(b_k) per class: what applyClassOffsets multiplies by. */
export function offsetFactors(offsets: ArrayLike<number>): Float64Array {
  return Float64Array.from(offsets, (b) => Math.exp(b));
}

/** In place: probs_k · factors_k, rescaled to sum to 1. */
export function applyClassOffsets(probs: Float32Array, factors: Float64Array): void {
  let sum = 0;
  for (let k = 0; k < probs.length; k++) sum += probs[k]! * factors[k]!;
  if (!(sum > 0)) return;
  for (let k = 0; k < probs.length; k++) probs[k] = (probs[k]! * factors[k]!) / sum;
}
