// Fitting a model's class offsets (core/model/class-offsets.ts) on held-out speakers' clips: the
// offsets that maximise the mean over corpora of utterance UA, each utterance the mean of its
// offset window probabilities (as eval and training's evaluations score it). Coordinate ascent over
// the classes but a reference one (fixed at 0: only differences matter), each tried at values from
// 0 outwards, a value kept only when it raises the objective: on sets of a few dozen clips per corpus
// a tie keeps the smaller offset.
import { classificationReport } from '../core/evaluation/classification.ts';
import { applyClassOffsets, offsetFactors } from '../core/model/class-offsets.ts';
import { MAX_CLASS_OFFSET } from '../core/model/format.ts';

/** One corpus's clips: each clip's window probabilities (without offsets) and its class. */
export interface OffsetFitSet {
  windows: readonly (readonly Float32Array[])[];
  truth: readonly number[];
}

export interface OffsetFitOptions {
  /** The class whose offset stays 0. */
  reference: number;
  /** Offsets range over [-range, range]. Default 2. */
  range?: number;
  /** Grid step. Default 0.1. */
  step?: number;
  /** Rounds over the classes. Default 4. */
  passes?: number;
}

/** Mean over the sets of utterance UA with `offsets` applied to every window. */
export function offsetObjective(
  sets: readonly OffsetFitSet[],
  classes: number,
  offsets: ArrayLike<number>,
): number {
  const factors = offsetFactors(offsets);
  const p = new Float32Array(classes);
  let total = 0;
  for (const set of sets) {
    const utterances = set.windows.map((windows) => {
      const u = new Float32Array(classes);
      for (const w of windows) {
        p.set(w);
        applyClassOffsets(p, factors);
        for (let k = 0; k < classes; k++) u[k]! += p[k]! / windows.length;
      }
      return u;
    });
    total += classificationReport(utterances, set.truth, classes).ua;
  }
  return total / Math.max(1, sets.length);
}

/** The fitted offsets (labels order) and the objective before and after. */
export function fitClassOffsets(
  sets: readonly OffsetFitSet[],
  classes: number,
  opts: OffsetFitOptions,
): { offsets: Float32Array; before: number; after: number } {
  const range = Math.min(opts.range ?? 2, MAX_CLASS_OFFSET);
  const step = opts.step ?? 0.1;
  const steps = Math.floor(range / step + 1e-9);
  // 0, -step, +step, -2·step, ...: the smaller offset first, so that it wins ties.
  const grid = [0, ...Array.from({ length: steps }, (_, i) => [-(i + 1) * step, (i + 1) * step]).flat()];
  // Searched as stored: model.json's offsets are float32.
  const offsets = new Float32Array(classes);
  const before = offsetObjective(sets, classes, offsets);
  let best = before;
  for (let pass = 0; pass < (opts.passes ?? 4); pass++)
    for (let k = 0; k < classes; k++) {
      if (k === opts.reference) continue;
      const kept = offsets[k]!;
      let bestValue = kept;
      for (const v of grid) {
        offsets[k] = v;
        const score = offsetObjective(sets, classes, offsets);
        if (score > best + 1e-12) {
          best = score;
          bestValue = v;
        }
      }
      offsets[k] = bestValue;
    }
  return { offsets, before, after: best };
}

/**
 * Offsets fitted on predictions of labelled clips, one set per corpus, the neutral class (else the
 * first) the reference.
 */
export function fitOnPredictions(
  preds: readonly { windows: readonly Float32Array[] }[],
  items: readonly { label: number; corpus: string }[],
  labels: readonly string[],
): ReturnType<typeof fitClassOffsets> {
  const sets = new Map<string, { windows: (readonly Float32Array[])[]; truth: number[] }>();
  items.forEach((item, i) => {
    const s = sets.get(item.corpus) ?? { windows: [], truth: [] };
    s.windows.push(preds[i]!.windows);
    s.truth.push(item.label);
    sets.set(item.corpus, s);
  });
  return fitClassOffsets([...sets.values()], labels.length, {
    reference: Math.max(0, labels.indexOf('neutral')),
  });
}
