// How far scoring runs behind, as admission control sees it: an exponentially weighted mean of the
// latency of recently scored windows (last sample in → score out). A window dropped unscored
// (scoring fell more than the engine's backlog behind) counts as the worst latency there is.
// With nothing scored for STALE_MS the lag is unknown and taken as none, so a quiet server admits.

/** Weight of each new window in the mean: ~10 windows to follow a change, one outlier moves it little. */
const ALPHA = 0.1;
/** A lag not refreshed for this long is forgotten. */
export const STALE_MS = 5000;
/** The latency a dropped window stands for. */
const DROPPED_MS = 30_000;

export class ScoringLag {
  private meanMs = 0;
  private lastAtMs = Number.NEGATIVE_INFINITY;

  /** One scored window's latency. */
  observe(latencyMs: number, nowMs: number): void {
    this.meanMs =
      nowMs - this.lastAtMs > STALE_MS ? latencyMs : this.meanMs + ALPHA * (latencyMs - this.meanMs);
    this.lastAtMs = nowMs;
  }

  /** Windows dropped unscored. */
  dropped(nowMs: number): void {
    this.observe(DROPPED_MS, nowMs);
  }

  /** The current lag in ms (0 when nothing was scored lately). */
  current(nowMs: number): number {
    return nowMs - this.lastAtMs > STALE_MS ? 0 : this.meanMs;
  }
}
