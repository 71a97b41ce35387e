import { seededRandom, shuffled } from '../random.ts';
import { SPLITS, type Split } from './split-manifest.ts';

/** A unit that must stay within one split (a speaker, a word), with its clip counts per stratum. */
export interface SplitGroup {
  id: string;
  /** Clip counts keyed by stratum (e.g. 'angry|f'); strata are balanced across splits. */
  strata: Record<string, number>;
}

export type SplitFractions = Record<Split, number>;

/** A split meant to hold data but left without any group is never acceptable. */
const EMPTY_SPLIT_COST = 1e9;
/** Deviations weigh double in the test split: reported results depend on it most. */
const SPLIT_WEIGHTS: Record<Split, number> = { train: 1, validation: 1, test: 2 };

/**
 * Assigns whole groups to train/validation/test so each split holds about its fraction of every
 * stratum. Each of `tries` seeded orderings is filled greedily (next group to the split furthest
 * below its clip target), then improved by single-group moves and pairwise swaps; the assignment
 * with the lowest (test-weighted) chi-square distance between split and target stratum counts wins.
 * Deterministic for a given seed and group set, whatever the input order.
 */
export function balancedGroupSplit(
  groups: readonly SplitGroup[],
  fractions: SplitFractions,
  seed: string,
  tries = 100,
): Record<Split, string[]> {
  const sorted = [...groups].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const problem = new Problem(sorted, fractions);
  const random = seededRandom(seed);
  let best: { cost: number; assign: number[] } | undefined;
  for (let t = 0; t < tries; t++) {
    const state = problem.greedy(shuffled(problem.indices, random));
    problem.improve(state);
    if (!best || state.cost < best.cost - 1e-9) best = { cost: state.cost, assign: state.assign };
  }
  const result: Record<Split, string[]> = { train: [], validation: [], test: [] };
  sorted.forEach((g, i) => {
    result[SPLITS[best?.assign[i] ?? 0]!].push(g.id);
  });
  return result;
}

interface State {
  assign: number[];
  /** counts[split][stratum] */
  counts: number[][];
  members: number[];
  cost: number;
}

/** The fixed data of one split problem, with cost evaluation that touches only the changed splits. */
class Problem {
  readonly indices: number[];
  private readonly rows: number[][];
  private readonly sizes: number[];
  private readonly targets: number[][];
  private readonly clipTargets: number[];

  constructor(groups: readonly SplitGroup[], fractions: SplitFractions) {
    const keys = [...new Set(groups.flatMap((g) => Object.keys(g.strata)))].sort();
    this.rows = groups.map((g) => keys.map((k) => g.strata[k] ?? 0));
    this.sizes = this.rows.map((r) => r.reduce((a, b) => a + b, 0));
    this.indices = groups.map((_, i) => i);
    const totals = keys.map((_, j) => this.rows.reduce((a, r) => a + r[j]!, 0));
    const fractionSum = SPLITS.reduce((a, s) => a + fractions[s], 0);
    const shares = SPLITS.map((s) => fractions[s] / fractionSum);
    this.targets = shares.map((share) => totals.map((t) => share * t));
    const grandTotal = totals.reduce((a, b) => a + b, 0);
    this.clipTargets = shares.map((share) => share * grandTotal);
  }

  private splitCost(s: number, counts: readonly number[], members: number): number {
    const targets = this.targets[s]!;
    if (members === 0 && this.clipTargets[s]! > 0) return EMPTY_SPLIT_COST;
    let c = 0;
    for (let j = 0; j < targets.length; j++) {
      const diff = counts[j]! - targets[j]!;
      c += (diff * diff) / Math.max(targets[j]!, 1);
    }
    return c * SPLIT_WEIGHTS[SPLITS[s]!];
  }

  private totalCost(state: State): number {
    return state.counts.reduce((a, counts, s) => a + this.splitCost(s, counts, state.members[s]!), 0);
  }

  /** Fills splits in `order`, each group to the split furthest below its clip target. */
  greedy(order: readonly number[]): State {
    const n = this.clipTargets.length;
    const state: State = {
      assign: new Array<number>(this.rows.length).fill(0),
      counts: this.targets.map((t) => new Array<number>(t.length).fill(0)),
      members: new Array<number>(n).fill(0),
      cost: 0,
    };
    const filled = new Array<number>(n).fill(0);
    for (const g of order) {
      let target = 0;
      for (let s = 1; s < n; s++) {
        if (this.clipTargets[s]! - filled[s]! > this.clipTargets[target]! - filled[target]!) target = s;
      }
      this.place(state, g, target, 1);
      filled[target]! += this.sizes[g]!;
    }
    state.cost = this.totalCost(state);
    return state;
  }

  private place(state: State, g: number, s: number, sign: 1 | -1): void {
    const row = this.rows[g]!;
    const counts = state.counts[s]!;
    for (let j = 0; j < row.length; j++) counts[j]! += sign * row[j]!;
    state.members[s]! += sign;
    if (sign === 1) state.assign[g] = s;
  }

  /** Applies `moves` (group → split), keeping them only if the total cost drops. */
  private attempt(state: State, moves: ReadonlyArray<readonly [number, number]>): boolean {
    const touched = new Set<number>();
    for (const [g, s] of moves) touched.add(state.assign[g]!).add(s);
    const before = [...touched].reduce(
      (a, s) => a + this.splitCost(s, state.counts[s]!, state.members[s]!),
      0,
    );
    const undo = moves.map(([g]) => [g, state.assign[g]!] as const);
    const apply = (ms: ReadonlyArray<readonly [number, number]>) => {
      for (const [g, s] of ms) {
        this.place(state, g, state.assign[g]!, -1);
        this.place(state, g, s, 1);
      }
    };
    apply(moves);
    const after = [...touched].reduce(
      (a, s) => a + this.splitCost(s, state.counts[s]!, state.members[s]!),
      0,
    );
    if (after < before - 1e-9) {
      state.cost += after - before;
      return true;
    }
    apply(undo);
    return false;
  }

  /** Hill-climbs with single-group moves and pairwise swaps until neither lowers the cost. */
  improve(state: State): void {
    const n = this.clipTargets.length;
    let improved = true;
    while (improved) {
      improved = false;
      for (let g = 0; g < state.assign.length; g++) {
        for (let s = 0; s < n; s++) {
          if (s !== state.assign[g] && this.attempt(state, [[g, s]])) improved = true;
        }
        for (let h = g + 1; h < state.assign.length; h++) {
          const [a, b] = [state.assign[g]!, state.assign[h]!];
          if (
            a !== b &&
            this.attempt(state, [
              [g, b],
              [h, a],
            ])
          )
            improved = true;
        }
      }
    }
  }
}
