// Calibration: the softmax temperature that makes the network's probabilities honest on held-out
// speakers (fitted on the validation windows, applied to every member's logits).

export interface TemperatureWindow {
  logits: Float32Array;
  label: number;
}

/** The softmax temperature minimising the windows' negative log-likelihood (grid 0.25–3, step 0.05). */
export function fitTemperature(windows: readonly TemperatureWindow[]): number {
  let best = { t: 1, nll: Number.POSITIVE_INFINITY };
  for (let t = 0.25; t <= 3.001; t += 0.05) {
    let nll = 0;
    for (const w of windows) nll -= Math.log(Math.max(1e-12, labelProbability(w, t)));
    if (nll < best.nll) best = { t, nll };
  }
  return Math.round(best.t * 100) / 100;
}

/** softmax(logits / t)[label], rounded to float32 as the network's probabilities are. */
function labelProbability({ logits, label }: TemperatureWindow, t: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  let mine = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i]! - max) / t);
    sum += e;
    if (i === label) mine = Math.fround(e);
  }
  return Math.fround(mine / sum);
}
