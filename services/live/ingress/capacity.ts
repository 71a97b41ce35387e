// Admission by estimated load, before the lag can show it. Scoring lag (lag.ts) reacts only once the
// windows of newly admitted calls have waited: a burst of calls arriving within a second is admitted
// whole and pushes every call's latency up for the seconds it takes the lag to rise. So each call is
// charged at admission with what it will ask of the scoring threads — at most one window per hop per
// scored speaker (the customer; the agent too where the tenant allows agent scoring), as if it spoke
// throughout — at the measured cost of a window, and a call that would take the admitted calls past
// `maxLoad` of the threads' time is refused at once. The cost is the scoring threads' own measure
// (the time their batches took per window, recent batches weighing most), so it follows the model,
// the runtime and the machine. Until a first batch is measured, each scoring core is given one batch
// of scored speakers.

export interface CapacityOptions {
  /**
   * Cores the scoring threads can count on (ScoringLayout.scoringCores; an engine on the main thread
   * counts as one): load is a share of their time.
   */
  cores: number;
  /** Most windows a thread scores in one batch. */
  maxBatch: number;
  /** A speaker's windows follow each other every hopMs. */
  hopMs: number;
  /** Share of the threads' time the admitted calls may claim; 0 = no limit. */
  maxLoad: number;
}

/** How much the previous batches weigh against the next one: about the last 20 count. */
const DECAY = 0.95;

export class ScoringCapacity {
  private busyMs = 0;
  private windows = 0;

  constructor(private readonly o: CapacityOptions) {}

  /** One batch the scoring threads scored: `windows` windows in `busyMs` of the thread's time. */
  batch(windows: number, busyMs: number): void {
    if (!(windows > 0)) return;
    this.busyMs = this.busyMs * DECAY + Math.max(0, busyMs);
    this.windows = this.windows * DECAY + windows;
  }

  /** A window's scoring time (ms), as measured lately; undefined before the first batch. */
  get windowCostMs(): number | undefined {
    return this.windows > 0 ? this.busyMs / this.windows : undefined;
  }

  /** Share of the threads' time `speakers` scored speakers claim (at most one window per hop each). */
  load(speakers: number): number {
    const cost = this.windowCostMs;
    if (cost === undefined) return speakers / (this.o.cores * this.o.maxBatch);
    return (speakers * (1000 / this.o.hopMs) * cost) / (this.o.cores * 1000);
  }

  /** Why `more` scored speakers do not fit next to the `admitted` ones, or null when they do. */
  refusal(admitted: number, more: number): string | null {
    if (this.o.maxLoad <= 0) return null;
    const load = this.load(admitted + more);
    if (load <= this.o.maxLoad) return null;
    const cost = this.windowCostMs;
    return cost === undefined
      ? `scoring is at capacity: ${admitted} scored speakers before the first window was measured`
      : `scoring is at capacity: ${admitted} scored speakers at ${cost.toFixed(1)} ms a window ` +
          `would take ${Math.round(100 * load)}% of the scoring threads (bound ${Math.round(100 * this.o.maxLoad)}%)`;
  }
}
