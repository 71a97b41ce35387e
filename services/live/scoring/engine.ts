// Scores the live calls of one thread. Windows from all calls are queued and scored in batches;
// batches are filled round-robin across calls (one window per call per turn), so a call that
// produces windows faster than others cannot starve them. Scoring is asynchronous and one batch is
// in flight at a time, so each call's windows are scored and emitted in order; between batches the
// engine yields to the event loop so incoming audio keeps flowing.
// A call is named by its instance, a number its caller gives it (the call registry counts them), not
// by its id: call ids are scoped per tenant, and an id may start again while its previous call is
// still ending, so two calls with one id can be here at once and must never share state or events.

import type { CallMeta } from '../../../core/calls/meta.ts';
import { VoicePulseError } from '../../../core/errors.ts';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import type { Clock } from '../../../core/streaming/clock.ts';
import type { StreamingConfig } from '../../../core/streaming/config.ts';
import type { TenantPolicy } from '../../../core/tenancy/policy.ts';
import { LiveCall, type PendingWindow } from './call.ts';
import type { Scorer } from './scorer.ts';

export interface EngineOutput {
  /** The call instance the event belongs to (startCall's `instance`). */
  instance: number;
  event: VoicePulseEvent;
  /** For score events: when the window's last sample arrived (ms since the epoch, fractional). */
  arrivedAtMs?: number;
}

/** Most windows per model call unless told otherwise (EngineOptions.maxBatch). */
export const DEFAULT_MAX_BATCH = 8;

export interface EngineOptions {
  scorer: Scorer;
  config: StreamingConfig;
  clock: Clock;
  emit: (out: EngineOutput[]) => void;
  /**
   * Most windows per model call (default 8). Feature extraction dominates a window's cost (about
   * 5 ms), so larger batches gain little and make every window in them wait for the whole batch.
   */
  maxBatch?: number;
  /**
   * Most windows waiting per call (default 30: 30 s of backlog at a 1 s hop, 30 × 64 KB of audio):
   * when scoring falls behind, a call's oldest waiting windows are dropped (and reported) rather
   * than letting memory grow without bound.
   */
  maxPendingPerCall?: number;
  onDropped?: (callId: string, windows: number, instance: number) => void;
  /**
   * With an explaining scorer: a batch whose oldest window arrived longer ago than this (ms) is scored
   * without explanations (default EXPLAIN_WITHIN_MS), so that scores catch up: an explanation is worth
   * less than a score on time. Infinity: always explain.
   */
  explainWithinMs?: number;
  /**
   * Each batch scored: its windows, the time it took on the clock (scoring them and turning them
   * into events), what admission control charges a call for (services/live/ingress/capacity.ts), and
   * whether its explanations were skipped to catch up (explainWithinMs; such a batch costs less than
   * a call's windows usually do).
   */
  onBatch?: (windows: number, busyMs: number, unexplained: boolean) => void;
}

/**
 * How late a batch may start and still be explained (EngineOptions.explainWithinMs): explaining
 * costs 11–16 % more scoring time, which a thread that is behind spends on catching up instead.
 */
export const EXPLAIN_WITHIN_MS = 100;

export type ScoringErrorCode =
  /** Audio or an end for a call instance the engine does not hold. */
  | 'UNKNOWN_CALL'
  /** A start for a call instance the engine already holds. */
  | 'CALL_EXISTS';

export class ScoringError extends VoicePulseError<ScoringErrorCode> {
  constructor(
    code: ScoringErrorCode,
    readonly instance: number,
  ) {
    super(
      code,
      code === 'UNKNOWN_CALL'
        ? `unknown call instance ${instance}`
        : `call instance ${instance} already started`,
    );
  }
}

interface CallSlot {
  instance: number;
  call: LiveCall;
  queue: PendingWindow[];
  ending: boolean;
  inReady: boolean;
}

export class ScoringEngine {
  private readonly calls = new Map<number, CallSlot>();
  /** Calls with queued windows or a pending end, in round-robin order. */
  private ready: number[] = [];
  private scheduled = false;
  /** The batch being scored, if any: the next starts only when it has emitted. */
  private inFlight: Promise<void> | undefined;
  private readonly maxBatch: number;
  private readonly maxPending: number;

  constructor(private readonly opts: EngineOptions) {
    this.maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
    this.maxPending = opts.maxPendingPerCall ?? 30;
  }

  startCall(
    instance: number,
    meta: CallMeta,
    policy: TenantPolicy,
    offsetsMs?: Record<SpeakerRole, number>,
  ): void {
    if (this.calls.has(instance)) throw new ScoringError('CALL_EXISTS', instance);
    this.calls.set(instance, {
      instance,
      call: new LiveCall(meta, policy, this.opts.config, this.opts.clock, offsetsMs),
      queue: [],
      ending: false,
      inReady: false,
    });
  }

  pushAudio(instance: number, speaker: SpeakerRole, samples: Float32Array, arrivedAtMs: number): void {
    const slot = this.slot(instance);
    if (slot.ending) return;
    this.enqueue(slot, slot.call.push(speaker, samples, arrivedAtMs));
  }

  /** A span of the call without audio on `speaker` (held, discarded, lost): `samples` of timeline. */
  gap(instance: number, speaker: SpeakerRole, samples: number, arrivedAtMs: number): void {
    const slot = this.slot(instance);
    if (slot.ending) return;
    this.enqueue(slot, slot.call.gap(speaker, samples, arrivedAtMs));
  }

  /** Scores the call's remaining windows, then emits its summary and forgets it. */
  endCall(instance: number, arrivedAtMs: number): void {
    const slot = this.slot(instance);
    if (slot.ending) return;
    slot.ending = true;
    this.enqueue(slot, slot.call.end(arrivedAtMs));
  }

  /** Scores everything queued (and whatever is queued meanwhile), then resolves (tests, shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.inFlight) await this.inFlight;
      else if (this.ready.length > 0) this.startBatch();
      else return;
    }
  }

  private slot(instance: number): CallSlot {
    const slot = this.calls.get(instance);
    if (!slot) throw new ScoringError('UNKNOWN_CALL', instance);
    return slot;
  }

  private enqueue(slot: CallSlot, windows: PendingWindow[]): void {
    slot.queue.push(...windows);
    const excess = slot.queue.length - this.maxPending;
    if (excess > 0) {
      slot.queue.splice(0, excess);
      this.opts.onDropped?.(slot.call.meta.callId, excess, slot.instance);
    }
    if (!slot.inReady && (slot.queue.length > 0 || slot.ending)) {
      slot.inReady = true;
      this.ready.push(slot.instance);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startBatch();
    });
  }

  /**
   * Starts scoring the next batch unless one is in flight; when it has emitted, schedules the next.
   * A scoring failure rejects inFlight: drain's caller sees it, and with no caller it is an
   * unhandled rejection that ends the thread (the pool replaces it), as a synchronous throw did.
   */
  private startBatch(): void {
    if (this.inFlight || this.ready.length === 0) return;
    this.inFlight = this.runBatch().finally(() => {
      this.inFlight = undefined;
      if (this.ready.length > 0) this.schedule();
    });
  }

  private async runBatch(): Promise<void> {
    const batch: Array<{ slot: CallSlot; w: PendingWindow }> = [];
    const finished: CallSlot[] = [];
    // One window per call per pass over the ready queue: round-robin across calls.
    while (batch.length < this.maxBatch && this.ready.length > 0) {
      const id = this.ready.shift()!;
      const slot = this.calls.get(id);
      if (!slot) continue;
      slot.inReady = false;
      const w = slot.queue.shift();
      if (w) batch.push({ slot, w });
      if (slot.queue.length > 0) {
        slot.inReady = true;
        this.ready.push(id);
      } else if (slot.ending) finished.push(slot);
    }
    const out: EngineOutput[] = [];
    if (batch.length > 0) {
      const startedAt = this.opts.clock.now();
      const { scorer } = this.opts;
      const windows = batch.map(({ w }) => ({ stream: w.stream, samples: w.window.samples }));
      const oldest = Math.min(...batch.map(({ w }) => w.arrivedAtMs));
      const late = startedAt - oldest > (this.opts.explainWithinMs ?? EXPLAIN_WITHIN_MS);
      const unexplained = scorer.explainWindows !== undefined && late;
      const scored =
        scorer.explainWindows && !late
          ? await scorer.explainWindows(windows)
          : (await scorer.scoreWindows(windows)).map((probs) => ({ probs }));
      batch.forEach(({ slot, w }, i) => {
        const { score, alerts } = slot.call.scored(w, scored[i]!, scorer.modelVersion);
        out.push({ instance: slot.instance, event: score, arrivedAtMs: w.arrivedAtMs });
        for (const a of alerts) out.push({ instance: slot.instance, event: a });
      });
      this.opts.onBatch?.(batch.length, this.opts.clock.now() - startedAt, unexplained);
    }
    for (const slot of finished) {
      out.push({ instance: slot.instance, event: slot.call.summary(this.opts.scorer.modelVersion) });
      slot.call.close();
      this.calls.delete(slot.instance);
    }
    if (out.length > 0) this.opts.emit(out);
  }
}
