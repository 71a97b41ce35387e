// Puts the audio chunks of one track back in media-time order and reports the gaps. Carriers can
// deliver out of order; chunks are ordered by their timestamp (media time from the stream start),
// not by their number, because a carrier may number chunks across tracks (Twilio's `chunk` counts
// the stream's media messages, so one track sees every other number): a chunk that starts where the
// previous one ended is released at once, whatever its number. A chunk that starts later waits for
// the missing audio until `maxPending` chunks wait; then the gap is reported (the caller turns it
// into timeline, CallSession.gap) and counted as lost chunks of the waiting chunk's length.
// Chunks older than what was released are duplicates (or too late) and dropped.

export interface Chunk {
  /** Media time of the chunk's first sample, ms from the stream start. */
  timestampMs: number;
  samples: Float32Array;
}

/** What the track releases, in order: audio, or a span without audio (ms). */
export type Piece = { samples: Float32Array } | { gapMs: number };

export interface ReorderStats {
  reordered: number;
  lost: number;
  duplicates: number;
}

export class Reorderer {
  /** Where the next chunk should start (ms). */
  private expectedMs = 0;
  /** Audio was released: before, the first chunk starts the timeline (its lead-in is a gap, not a loss). */
  private started = false;
  private latestMs = Number.NEGATIVE_INFINITY;
  /** Waiting chunks, sorted by timestamp. */
  private readonly pending: Chunk[] = [];
  readonly stats: ReorderStats = { reordered: 0, lost: 0, duplicates: 0 };

  constructor(
    private readonly sampleRate: number,
    private readonly maxPending = 10,
  ) {}

  /** Accepts one chunk; returns what is now releasable, in order. */
  push(chunk: Chunk): Piece[] {
    const tolerance = this.durationMs(chunk) / 2;
    if (
      chunk.timestampMs < this.expectedMs - tolerance ||
      this.pending.some((c) => Math.abs(c.timestampMs - chunk.timestampMs) < tolerance)
    ) {
      this.stats.duplicates++;
      return [];
    }
    if (chunk.timestampMs < this.latestMs) this.stats.reordered++;
    this.latestMs = Math.max(this.latestMs, chunk.timestampMs);
    const at = this.pending.findIndex((c) => c.timestampMs > chunk.timestampMs);
    this.pending.splice(at < 0 ? this.pending.length : at, 0, chunk);
    const out: Piece[] = [];
    // A track that begins late (past the reorder window) begins with its lead-in as a gap.
    if (!this.started && chunk.timestampMs - this.expectedMs > this.maxPending * this.durationMs(chunk))
      this.skipGap(out);
    else this.release(out);
    while (this.pending.length > this.maxPending) this.skipGap(out);
    return out;
  }

  /** End of stream: releases everything still waiting, with its gaps. */
  flush(): Piece[] {
    const out: Piece[] = [];
    while (this.pending.length > 0) this.skipGap(out);
    return out;
  }

  private durationMs(chunk: Chunk): number {
    return (1000 * chunk.samples.length) / this.sampleRate;
  }

  /** Gives up on the audio missing before the oldest waiting chunk. */
  private skipGap(out: Piece[]): void {
    const next = this.pending[0]!;
    const gapMs = next.timestampMs - this.expectedMs;
    if (gapMs > 0) {
      out.push({ gapMs });
      if (this.started) this.stats.lost += Math.max(1, Math.round(gapMs / this.durationMs(next)));
    }
    this.expectedMs = next.timestampMs;
    this.release(out);
  }

  private release(out: Piece[]): void {
    for (let c = this.pending[0]; c; c = this.pending[0]) {
      if (c.timestampMs > this.expectedMs + this.durationMs(c) / 2) return;
      this.pending.shift();
      out.push({ samples: c.samples });
      this.expectedMs = Math.max(this.expectedMs, c.timestampMs) + this.durationMs(c);
      this.started = true;
    }
  }
}
