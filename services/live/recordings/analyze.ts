// Analyses one recorded call with the live scoring code: a ScoringEngine (services/live/scoring),
// the same windows, model, affect, alert rules and summary as a live call, fed the recording's audio
// hop by hop while its injected clock reads the recording's own time (the call's start plus the
// audio position). So every event is what the live service would have produced had the call
// streamed in when it happened, stamped with that time, and analysing the same audio again gives
// the same events.
import {
  type AlertEvent,
  type CallSummaryEvent,
  type ScoreEvent,
  SPEAKER_ROLES,
  type SpeakerRole,
  type VoicePulseEvent,
} from '../../../core/events/schema.ts';
import { type SpeakerChunk, speakerAudio } from '../../../core/recordings/audio.ts';
import type { RecordingMeta } from '../../../core/recordings/metadata.ts';
import type { RoleOptions } from '../../../core/recordings/roles.ts';
import { ManualClock } from '../../../core/streaming/clock.ts';
import { type StreamingConfig, samplesFor } from '../../../core/streaming/config.ts';
import type { TenantPolicy } from '../../../core/tenancy/policy.ts';
import { ScoringEngine } from '../scoring/engine.ts';
import type { Scorer } from '../scoring/scorer.ts';

export interface AnalyzeOptions extends RoleOptions {
  scorer: Scorer;
  config: StreamingConfig;
  /** The tenant's policy (agent emotion scoring, alert rules), exactly as for its live calls. */
  policy: TenantPolicy;
  maxDurationMs?: number;
  /** Called after each hop with the audio time analysed so far (ms). */
  onProgress?: (audioMs: number) => void;
}

export interface Analysis {
  /** Every event in the order the live service emits them: scores and alerts, the summary last. */
  events: VoicePulseEvent[];
  summary: CallSummaryEvent;
  alerts: AlertEvent[];
  /** Speakers the recording holds (a mono recording has one). */
  speakers: SpeakerRole[];
}

/** Each recording has an engine of its own: its call is the engine's only call instance. */
const INSTANCE = 0;

/** Feeds a call's audio to the engine one hop at a time, the clock at the end of each hop. */
class HopFeeder {
  private readonly buffers: Partial<Record<SpeakerRole, Float32Array[]>> = {};
  private readonly buffered: Record<SpeakerRole, number> = { customer: 0, agent: 0 };
  private fed = 0;

  constructor(
    private readonly engine: ScoringEngine,
    private readonly clock: ManualClock,
    private readonly meta: RecordingMeta,
    private readonly hop: number,
    private readonly sampleRate: number,
    private readonly onProgress?: (audioMs: number) => void,
  ) {}

  add(chunk: SpeakerChunk): void {
    for (const role of SPEAKER_ROLES) {
      const x = chunk[role];
      if (!x || x.length === 0) continue;
      const parts = this.buffers[role] ?? [];
      parts.push(x);
      this.buffers[role] = parts;
      this.buffered[role] += x.length;
    }
  }

  /** Feeds every whole hop buffered (all of it when `last`), scoring each before the next. */
  async feed(last: boolean): Promise<void> {
    const roles = SPEAKER_ROLES.filter((r) => this.buffers[r]);
    if (roles.length === 0) return;
    for (;;) {
      const available = Math.min(...roles.map((r) => this.buffered[r]));
      const n = last ? Math.min(available, this.hop) : available >= this.hop ? this.hop : 0;
      if (n === 0) return;
      this.fed += n;
      this.clock.advance(this.at(this.fed) - this.clock.now());
      for (const role of roles) this.engine.pushAudio(INSTANCE, role, this.take(role, n), this.clock.now());
      await this.engine.drain();
      this.onProgress?.((1000 * this.fed) / this.sampleRate);
    }
  }

  /** The recording's time after `samples` of audio. */
  at(samples: number): number {
    return this.meta.startedAtMs + (1000 * samples) / this.sampleRate;
  }

  private take(role: SpeakerRole, n: number): Float32Array {
    const parts = this.buffers[role]!;
    this.buffered[role] -= n;
    const first = parts[0]!;
    if (first.length > n) {
      parts[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) return parts.shift()!;
    const out = new Float32Array(n);
    for (let at = 0; at < n; ) {
      const part = parts[0]!;
      const k = Math.min(part.length, n - at);
      out.set(part.subarray(0, k), at);
      at += k;
      if (k === part.length) parts.shift();
      else parts[0] = part.subarray(k);
    }
    return out;
  }
}

export async function analyzeRecording(
  bytes: Uint8Array,
  meta: RecordingMeta,
  options: AnalyzeOptions,
): Promise<Analysis> {
  const { config } = options;
  const clock = new ManualClock(meta.startedAtMs);
  const events: VoicePulseEvent[] = [];
  const engine = new ScoringEngine({
    scorer: options.scorer,
    config,
    clock,
    // A recording has no live edge to catch up with: its windows are always explained.
    explainWithinMs: Number.POSITIVE_INFINITY,
    emit: (out) => {
      for (const o of out) events.push(o.event);
    },
  });
  engine.startCall(
    INSTANCE,
    { callId: meta.callId, tenantId: meta.tenantId, agentId: meta.agentId, queue: meta.queue },
    options.policy,
  );
  const feeder = new HopFeeder(
    engine,
    clock,
    meta,
    samplesFor(config.hopMs, config),
    config.sampleRate,
    options.onProgress,
  );
  const speakers = new Set<SpeakerRole>();
  try {
    for await (const chunk of speakerAudio(bytes, { ...options, sampleRate: config.sampleRate })) {
      for (const role of SPEAKER_ROLES) if (chunk[role]) speakers.add(role);
      feeder.add(chunk);
      await feeder.feed(false);
    }
    await feeder.feed(true);
  } finally {
    // Ends the call (a failed decode leaves nothing behind in the engine) and emits the summary.
    engine.endCall(INSTANCE, clock.now());
    await engine.drain();
  }
  const summary = events.at(-1);
  if (summary?.type !== 'call_summary') throw new Error(`no summary for call ${meta.callId}`);
  return {
    events,
    summary,
    alerts: events.filter((e): e is AlertEvent => e.type === 'alert'),
    speakers: SPEAKER_ROLES.filter((r) => speakers.has(r)),
  };
}

/** The score events of one speaker, in window order. */
export function scoresOf(analysis: Analysis, speaker: SpeakerRole): ScoreEvent[] {
  return analysis.events.filter((e): e is ScoreEvent => e.type === 'score' && e.speaker === speaker);
}
