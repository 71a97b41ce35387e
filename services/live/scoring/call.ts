// The live state of one call: a SpeakerStream per speaker, affect trackers, alert rules, talk
// measures and the end-of-call summary. Agent audio without agent emotion scoring is measure-only:
// its windows carry no audio, so the model cannot be called on it.

import { CallAlertRules } from '../../../core/alerts/rules.ts';
import type { CallMeta } from '../../../core/calls/meta.ts';
import {
  type AlertEvent,
  type CallSummaryEvent,
  EVENT_SCHEMA_VERSION,
  type ScoreEvent,
  type SpeakerRole,
} from '../../../core/events/schema.ts';
import { ModelStream } from '../../../core/model/runner.ts';
import { AffectTracker } from '../../../core/streaming/affect.ts';
import type { Clock } from '../../../core/streaming/clock.ts';
import type { StreamingConfig } from '../../../core/streaming/config.ts';
import { OvertalkMeter } from '../../../core/streaming/overtalk.ts';
import { SpeakerStream, type SpeakerWindow } from '../../../core/streaming/speaker-stream.ts';
import { EmotionSummary } from '../../../core/streaming/summary.ts';
import type { TenantPolicy } from '../../../core/tenancy/policy.ts';
import type { ScoredWindow } from './scorer.ts';

/** A window waiting for the model. */
export interface PendingWindow {
  speaker: SpeakerRole;
  /** The speaker's audio as the model sees it. */
  stream: ModelStream;
  window: SpeakerWindow & { samples: Float32Array };
  /** When the window's last sample arrived at the gateway (ms since the epoch, fractional). */
  arrivedAtMs: number;
}

export class LiveCall {
  private readonly streams: Record<SpeakerRole, SpeakerStream>;
  private readonly modelStreams: Record<SpeakerRole, ModelStream> = {
    customer: new ModelStream(),
    agent: new ModelStream(),
  };
  private readonly affect: Record<SpeakerRole, AffectTracker>;
  private readonly summaries: Record<SpeakerRole, EmotionSummary>;
  private readonly overtalk: OvertalkMeter;
  private readonly alerts: CallAlertRules;
  readonly startedAtMs: number;

  constructor(
    readonly meta: CallMeta,
    readonly policy: TenantPolicy,
    private readonly config: StreamingConfig,
    private readonly clock: Clock,
    /** Call time at which each speaker's audio starts here (non-zero when a restarted thread resumes a call). */
    private readonly offsetsMs: Record<SpeakerRole, number> = { customer: 0, agent: 0 },
  ) {
    // A call resumed at an offset (a restarted thread, a call continued from another pod) began that long ago.
    this.startedAtMs = Math.round(clock.now() - Math.max(offsetsMs.customer, offsetsMs.agent));
    this.overtalk = new OvertalkMeter(config.vadFrameMs);
    const stream = (side: 0 | 1, keepAudio: boolean) =>
      new SpeakerStream(config, { keepAudio, onFrame: (i, speech) => this.overtalk.frame(side, i, speech) });
    this.streams = { customer: stream(0, true), agent: stream(1, policy.agentEmotionScoring) };
    this.affect = { customer: new AffectTracker(config.emaAlpha), agent: new AffectTracker(config.emaAlpha) };
    this.summaries = { customer: new EmotionSummary(), agent: new EmotionSummary() };
    this.alerts = new CallAlertRules(policy.alerts, policy.agentEmotionScoring, () => clock.now());
  }

  /** Adds one speaker's audio; returns the windows it makes ready for scoring. */
  push(speaker: SpeakerRole, samples: Float32Array, arrivedAtMs: number): PendingWindow[] {
    return this.pending(speaker, this.streams[speaker].push(samples), arrivedAtMs);
  }

  /** A span of one speaker's call without audio (held, discarded, lost): its timeline moves on by `samples`. */
  gap(speaker: SpeakerRole, samples: number, arrivedAtMs: number): PendingWindow[] {
    return this.pending(speaker, this.streams[speaker].gap(samples), arrivedAtMs);
  }

  /** Ends both speakers' audio; returns their last windows to score (short calls). */
  end(arrivedAtMs: number): PendingWindow[] {
    return [
      ...this.pending('customer', this.streams.customer.end(), arrivedAtMs),
      ...this.pending('agent', this.streams.agent.end(), arrivedAtMs),
    ];
  }

  /** Turns a scored window into its score event and any alerts it triggers. */
  scored(
    p: PendingWindow,
    { probs, explanation }: ScoredWindow,
    modelVersion: string,
  ): { score: ScoreEvent; alerts: AlertEvent[] } {
    const { valence, arousal, frustration } = this.affect[p.speaker].update(probs);
    const w = p.window;
    this.summaries[p.speaker].add({ startMs: w.startMs, endMs: w.endMs, probs, valence, frustration });
    const score: ScoreEvent = {
      ...this.envelope(`${this.meta.callId}:${p.speaker}:${w.startMs}-${w.endMs}`),
      type: 'score',
      speaker: p.speaker,
      windowStartMs: w.startMs,
      windowEndMs: w.endMs,
      probs,
      valence,
      arousal,
      frustration,
      speechRatio: w.speechRatio,
      modelVersion,
      ...(explanation && {
        explanation: {
          emotion: explanation.emotion,
          segments: explanation.segments.map((s) => ({
            startMs: w.startMs + s.startMs,
            endMs: w.startMs + s.endMs,
            weight: s.weight,
          })),
        },
      }),
    };
    return { score, alerts: this.alerts.evaluate(score) };
  }

  /** The call is over and its windows scored: the model may forget its speakers. */
  close(): void {
    this.modelStreams.customer.close();
    this.modelStreams.agent.close();
  }

  summary(modelVersion: string): CallSummaryEvent {
    const endedAtMs = Math.max(this.startedAtMs, Math.round(this.clock.now()));
    const audioMs = (s: SpeakerStream, speaker: SpeakerRole) =>
      this.offsetsMs[speaker] + Math.round((1000 * s.samples) / this.config.sampleRate);
    const talk = (s: SpeakerStream) => ({ talkMs: s.talkMs, silenceMs: s.silenceMs });
    return {
      ...this.envelope(`${this.meta.callId}:summary`),
      type: 'call_summary',
      startedAtMs: this.startedAtMs,
      endedAtMs,
      durationMs: Math.max(audioMs(this.streams.customer, 'customer'), audioMs(this.streams.agent, 'agent')),
      overtalkMs: this.overtalk.overtalkMs,
      holdMs: Math.round(Math.max(this.streams.customer.gapMs, this.streams.agent.gapMs)),
      customer: { talk: talk(this.streams.customer), emotion: this.summaries.customer.stats() },
      agent: {
        talk: talk(this.streams.agent),
        emotion: this.policy.agentEmotionScoring ? this.summaries.agent.stats() : null,
      },
      alerts: this.alerts.count,
      modelVersion,
    };
  }

  private pending(speaker: SpeakerRole, windows: SpeakerWindow[], arrivedAtMs: number): PendingWindow[] {
    const out: PendingWindow[] = [];
    const offset = this.offsetsMs[speaker];
    for (const w of windows)
      if (w.samples)
        out.push({
          speaker,
          stream: this.modelStreams[speaker],
          window: { ...w, startMs: w.startMs + offset, endMs: w.endMs + offset, samples: w.samples },
          arrivedAtMs,
        });
    return out;
  }

  private envelope(eventId: string) {
    return {
      schemaVersion: EVENT_SCHEMA_VERSION,
      eventId,
      tenantId: this.meta.tenantId,
      callId: this.meta.callId,
      agentId: this.meta.agentId,
      queue: this.meta.queue,
      ...(this.meta.customerId ? { customerId: this.meta.customerId } : {}),
      producedAtMs: Math.round(this.clock.now()),
    };
  }
}
