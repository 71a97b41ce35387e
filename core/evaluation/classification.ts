// Classification metrics for emotion evaluation (`voicepulse eval`, training and the model card): UA
// (unweighted = mean per-class recall), WA (accuracy), macro-F1, per-class recall, confusion matrix and
// expected calibration error.

export interface ClassificationReport {
  n: number;
  /** Mean recall over the classes that occur in the truth. */
  ua: number;
  wa: number;
  /** Mean F1 over the classes that occur in the truth. */
  macroF1: number;
  /** Recall per class (NaN where the class never occurs in the truth). */
  recall: number[];
  /** confusion[truth][predicted] counts. */
  confusion: number[][];
  /** Expected calibration error of the top-class probability (15 equal-width bins). */
  ece: number;
}

const ECE_BINS = 15;

/** `probs[i]` is the class distribution predicted for example i, `truth[i]` its class index. */
export function classificationReport(
  probs: ArrayLike<number>[],
  truth: ArrayLike<number>,
  classes: number,
): ClassificationReport {
  if (probs.length !== truth.length)
    throw new RangeError(`${probs.length} predictions for ${truth.length} labels`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const binCount = new Array<number>(ECE_BINS).fill(0);
  const binConf = new Array<number>(ECE_BINS).fill(0);
  const binCorrect = new Array<number>(ECE_BINS).fill(0);
  let correct = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    const t = truth[i]!;
    if (!(t >= 0 && t < classes)) throw new RangeError(`label ${t} outside 0..${classes - 1}`);
    const best = topClass(p, classes);
    confusion[t]![best]!++;
    if (best === t) correct++;
    const conf = p[best]!;
    const bin = Math.min(ECE_BINS - 1, Math.floor(conf * ECE_BINS));
    binCount[bin]!++;
    binConf[bin]! += conf;
    if (best === t) binCorrect[bin]!++;
  }
  const n = probs.length;
  const recall: number[] = [];
  const f1: number[] = [];
  for (let c = 0; c < classes; c++) {
    const row = confusion[c]!.reduce((a, b) => a + b, 0);
    const col = confusion.reduce((a, r) => a + r[c]!, 0);
    const tp = confusion[c]![c]!;
    recall.push(row > 0 ? tp / row : Number.NaN);
    if (row > 0) f1.push(tp === 0 ? 0 : (2 * tp) / (row + col));
  }
  const present = recall.filter((r) => !Number.isNaN(r));
  let ece = 0;
  for (let b = 0; b < ECE_BINS; b++)
    if (binCount[b]! > 0)
      ece += (binCount[b]! / n) * Math.abs(binCorrect[b]! / binCount[b]! - binConf[b]! / binCount[b]!);
  return {
    n,
    ua: present.length ? mean(present) : Number.NaN,
    wa: n ? correct / n : Number.NaN,
    macroF1: f1.length ? mean(f1) : Number.NaN,
    recall,
    confusion,
    ece,
  };
}

/** The predicted class: the first of the `classes` highest probabilities. */
export function topClass(p: ArrayLike<number>, classes = p.length): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (p[c]! > p[best]!) best = c;
  return best;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
