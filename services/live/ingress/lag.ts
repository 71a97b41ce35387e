// How far scoring runs behind, as admission control sees it: the 90th percentile of the latency of
// the windows scored in the last STALE_MS (last sample in → score out). A high percentile, not a
// mean: under overload the mean stays low for long while a tail of calls already waits seconds. A
// window dropped unscored (scoring fell more than the engine's backlog behind) counts as the worst
// latency there is. With nothing scored for STALE_MS the lag is unknown and taken as none, so a
// quiet server admits. Hand-written: a fixed ring of recent samples, sorted only when asked (at a
// call's start).

/** Windows older than this no longer count. */
export const STALE_MS = 5000;
/** Most recent windows kept: enough for a percentile, bounded whatever the load. */
const KEPT = 256;
/** The latency a dropped window stands for. */
const DROPPED_MS = 30_000;
const QUANTILE = 0.9;

export class ScoringLag {
  private readonly latencies = new Float64Array(KEPT);
  private readonly at = new Float64Array(KEPT).fill(Number.NEGATIVE_INFINITY);
  private next = 0;

  /** One scored window's latency. */
  observe(latencyMs: number, nowMs: number): void {
    this.latencies[this.next] = latencyMs;
    this.at[this.next] = nowMs;
    this.next = (this.next + 1) % KEPT;
  }

  /** Windows dropped unscored. */
  dropped(nowMs: number): void {
    this.observe(DROPPED_MS, nowMs);
  }

  /** The current lag in ms (0 when nothing was scored lately). */
  current(nowMs: number): number {
    const recent: number[] = [];
    for (let i = 0; i < KEPT; i++) if (nowMs - this.at[i]! <= STALE_MS) recent.push(this.latencies[i]!);
    if (recent.length === 0) return 0;
    recent.sort((a, b) => a - b);
    return recent[Math.min(recent.length - 1, Math.floor(QUANTILE * recent.length))]!;
  }
}
