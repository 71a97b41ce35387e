// Two models on the same labelled recordings: the difference in UA with a paired, class-stratified
// bootstrap interval. Test sets are small (60 URDU clips: one clip moves UA by 1.6 points), so a
// difference of a point or two is often a draw of the recordings; resampling the recordings, both
// models' predictions together, shows how far it would move on another draw like this one.
import { seededRandom } from '../random.ts';

export interface UaComparison {
  /** UA of `b` minus UA of `a` on all the recordings (classes that occur in the truth). */
  diff: number;
  /** The 2.5th and 97.5th percentiles of that difference over the resamples. */
  ci95: [number, number];
  /** Recordings that `b` classifies right and `a` wrong, and the reverse. */
  bOnly: number;
  aOnly: number;
  resamples: number;
}

export interface CompareOptions {
  /** @default 2000 */
  resamples?: number;
  /** @default 'voicepulse-compare' (the same predictions always give the same interval) */
  seed?: string;
}

/**
 * `predA`/`predB`: each recording's predicted class by the two models; `truth`: its class. Each
 * resample draws, within every class, as many of its recordings with replacement as it has, so every
 * resample's UA is over the same classes as the full set's.
 */
export function compareUa(
  predA: ArrayLike<number>,
  predB: ArrayLike<number>,
  truth: ArrayLike<number>,
  options: CompareOptions = {},
): UaComparison {
  const n = truth.length;
  if (predA.length !== n || predB.length !== n)
    throw new RangeError(`${predA.length} and ${predB.length} predictions for ${n} labels`);
  if (n === 0) throw new RangeError('no recordings to compare');
  const resamples = options.resamples ?? 2000;
  const byClass = new Map<number, number[]>();
  let aOnly = 0;
  let bOnly = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const members = byClass.get(t) ?? [];
    members.push(i);
    byClass.set(t, members);
    const a = predA[i] === t;
    const b = predB[i] === t;
    if (a && !b) aOnly++;
    if (b && !a) bOnly++;
  }
  const classes = [...byClass.values()];
  // Per recording: +1 where only b is right, −1 where only a is, 0 otherwise.
  const gain = Int8Array.from(
    { length: n },
    (_, i) => Number(predB[i] === truth[i]) - Number(predA[i] === truth[i]),
  );
  const diffOf = (draw: (members: number[]) => number) =>
    classes.reduce((sum, members) => sum + draw(members) / members.length, 0) / classes.length;
  const diff = diffOf((members) => members.reduce((s, i) => s + gain[i]!, 0));
  const random = seededRandom(options.seed ?? 'voicepulse-compare');
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++)
    diffs[r] = diffOf((members) => {
      let s = 0;
      for (let k = 0; k < members.length; k++) s += gain[members[Math.floor(random() * members.length)]!]!;
      return s;
    });
  diffs.sort();
  const at = (q: number) => diffs[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return { diff, ci95: [at(0.025), at(0.975)], bOnly, aOnly, resamples };
}
