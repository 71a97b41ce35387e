// Puts sequence-numbered audio chunks of one track back in order and fills gaps with silence.
// Carriers can deliver out of order; a chunk that has not arrived once `maxPending` later chunks
// are waiting is declared lost and replaced by silence of its duration (from the timestamps), so
// the track's timeline — and so the window positions — stay true.

export interface Chunk {
  seq: number;
  /** Media time of the chunk's first sample, ms from the stream start. */
  timestampMs: number;
  samples: Float32Array;
}

export interface ReorderStats {
  reordered: number;
  lost: number;
  duplicates: number;
  /** Silence inserted for lost chunks, in samples. */
  filledSamples: number;
}

export class Reorderer {
  private next: number;
  private expectedTimestampMs: number | null = null;
  private readonly pending = new Map<number, Chunk>();
  readonly stats: ReorderStats = { reordered: 0, lost: 0, duplicates: 0, filledSamples: 0 };

  constructor(
    private readonly sampleRate: number,
    firstSeq: number,
    private readonly maxPending = 10,
    /** Longest gap filled with silence; longer gaps are capped (a clock jump, not lost packets). */
    private readonly maxFillMs = 2000,
  ) {
    this.next = firstSeq;
  }

  /** Accepts one chunk; returns the audio now releasable, in order. */
  push(chunk: Chunk): Float32Array[] {
    if (chunk.seq < this.next || this.pending.has(chunk.seq)) {
      this.stats.duplicates++;
      return [];
    }
    if (chunk.seq !== this.next) this.stats.reordered++;
    this.pending.set(chunk.seq, chunk);
    const out: Float32Array[] = [];
    this.release(out);
    while (this.pending.size > this.maxPending) this.skipGap(out);
    return out;
  }

  /** End of stream: releases everything still waiting, filling the gaps. */
  flush(): Float32Array[] {
    const out: Float32Array[] = [];
    while (this.pending.size > 0) this.skipGap(out);
    return out;
  }

  /** Gives up on the missing chunk(s) before the oldest waiting one. */
  private skipGap(out: Float32Array[]): void {
    const oldest = Math.min(...this.pending.keys());
    const waiting = this.pending.get(oldest)!;
    this.stats.lost += oldest - this.next;
    const gapMs =
      this.expectedTimestampMs === null
        ? 0
        : Math.min(this.maxFillMs, waiting.timestampMs - this.expectedTimestampMs);
    if (gapMs > 0) {
      const fill = new Float32Array(Math.round((gapMs * this.sampleRate) / 1000));
      this.stats.filledSamples += fill.length;
      out.push(fill);
    }
    this.next = oldest;
    this.release(out);
  }

  private release(out: Float32Array[]): void {
    for (let c = this.pending.get(this.next); c; c = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      out.push(c.samples);
      this.expectedTimestampMs = c.timestampMs + (1000 * c.samples.length) / this.sampleRate;
      this.next++;
    }
  }
}
