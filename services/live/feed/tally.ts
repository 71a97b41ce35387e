// What a pod keeps of each live call it sees on the cluster feed, so that it can end the call with a
// summary should the pod holding it die: running statistics per speaker in bounded memory (sums, the
// peak, the windows of the first minute and a ring of the last minute) rather than every window as
// the scoring thread keeps them (core/streaming/summary.ts). Every pod keeps one per call in the
// cluster, so the bound matters: about 120 windows per speaker, however long the call.
// The summary follows core/streaming/summary.ts's definitions: mean mix and frustration over all
// windows, the peak's window end, start/end means over min(SUMMARY_EDGE_MS, a third of the span).
// Talk time is estimated from the windows' speech ratios over the call time each window adds.
import { EMOTIONS } from '../../../core/emotions.ts';
import {
  type CallSummaryEvent,
  type EmotionProbs,
  EVENT_SCHEMA_VERSION,
  type ScoreEvent,
  type SpeakerRole,
  type VoicePulseEvent,
} from '../../../core/events/schema.ts';
import { SUMMARY_EDGE_MS } from '../../../core/streaming/summary.ts';
import type { CallLease } from './presence.ts';

interface EdgeWindow {
  startMs: number;
  endMs: number;
  valence: number;
  frustration: number;
}

const zeroMix = (): EmotionProbs => Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as EmotionProbs;

class SpeakerTally {
  private n = 0;
  private readonly mixSum = zeroMix();
  private frustrationSum = 0;
  private peak = -1;
  private peakAtMs = 0;
  private firstStartMs = 0;
  private lastEndMs = 0;
  /** Windows starting within SUMMARY_EDGE_MS of the first. */
  private readonly head: EdgeWindow[] = [];
  /** Windows ending within SUMMARY_EDGE_MS of the latest (older ones leave from the front). */
  private tail: EdgeWindow[] = [];
  talkMs = 0;

  add(e: ScoreEvent): void {
    if (e.windowEndMs <= this.lastEndMs && this.n > 0) return; // a redelivered window
    if (this.n === 0) this.firstStartMs = e.windowStartMs;
    const fresh = e.windowEndMs - Math.max(e.windowStartMs, this.n === 0 ? 0 : this.lastEndMs);
    this.talkMs += Math.max(0, fresh) * e.speechRatio;
    this.n++;
    for (const emotion of EMOTIONS) this.mixSum[emotion] += e.probs[emotion];
    this.frustrationSum += e.frustration;
    if (e.frustration > this.peak) {
      this.peak = e.frustration;
      this.peakAtMs = e.windowEndMs;
    }
    this.lastEndMs = e.windowEndMs;
    const w = {
      startMs: e.windowStartMs,
      endMs: e.windowEndMs,
      valence: e.valence,
      frustration: e.frustration,
    };
    if (w.startMs < this.firstStartMs + SUMMARY_EDGE_MS) this.head.push(w);
    this.tail.push(w);
    const keepFrom = this.tail.findIndex((t) => t.endMs > this.lastEndMs - SUMMARY_EDGE_MS);
    if (keepFrom > 0) this.tail = this.tail.slice(keepFrom);
  }

  get endMs(): number {
    return this.lastEndMs;
  }

  stats(): NonNullable<CallSummaryEvent['customer']['emotion']> | null {
    if (this.n === 0) return null;
    const edge = Math.min(SUMMARY_EDGE_MS, (this.lastEndMs - this.firstStartMs) / 3);
    const head = this.head.filter((w) => w.startMs < this.firstStartMs + edge);
    const tail = this.tail.filter((w) => w.endMs > this.lastEndMs - edge);
    const emotionMix = zeroMix();
    for (const e of EMOTIONS) emotionMix[e] = Math.min(1, Math.max(0, this.mixSum[e] / this.n));
    return {
      emotionMix,
      meanFrustration: this.frustrationSum / this.n,
      peakFrustration: this.peak,
      peakFrustrationAtMs: this.peakAtMs,
      startValence: mean(head, (w) => w.valence),
      endValence: mean(tail, (w) => w.valence),
      startFrustration: mean(head, (w) => w.frustration),
      endFrustration: mean(tail, (w) => w.frustration),
      scoredWindows: this.n,
    };
  }
}

function mean(ws: readonly EdgeWindow[], of: (w: EdgeWindow) => number): number {
  return ws.reduce((sum, w) => sum + of(w), 0) / ws.length;
}

/** One call as the feed has seen it. */
export class CallTally {
  private readonly speakers: Record<SpeakerRole, SpeakerTally> = {
    customer: new SpeakerTally(),
    agent: new SpeakerTally(),
  };
  private alerts = 0;
  private modelVersion: string | undefined;

  add(e: VoicePulseEvent): void {
    if (e.type === 'score') {
      this.speakers[e.speaker].add(e);
      this.modelVersion = e.modelVersion;
    } else if (e.type === 'alert') this.alerts++;
  }

  /**
   * The summary of the call should its pod have died: marked interrupted, ended when the pod was
   * last alive, with the statistics of what the feed saw. The event id is the one the pod itself
   * would have used, so however many pods end the call, one summary is stored.
   */
  interruptedSummary(lease: CallLease, endedAtMs: number, nowMs: number): CallSummaryEvent {
    const { customer, agent } = this.speakers;
    const durationMs = Math.max(customer.endMs, agent.endMs, endedAtMs - lease.startedAtMs, 0);
    const talk = (s: SpeakerTally) => {
      const talkMs = Math.round(Math.min(durationMs, s.talkMs));
      return { talkMs, silenceMs: durationMs - talkMs };
    };
    const { meta } = lease;
    return {
      schemaVersion: EVENT_SCHEMA_VERSION,
      eventId: `${meta.callId}:summary`,
      tenantId: meta.tenantId,
      callId: meta.callId,
      agentId: meta.agentId,
      queue: meta.queue,
      ...(meta.customerId ? { customerId: meta.customerId } : {}),
      producedAtMs: nowMs,
      type: 'call_summary',
      startedAtMs: lease.startedAtMs,
      endedAtMs: Math.max(lease.startedAtMs, endedAtMs),
      durationMs,
      overtalkMs: 0,
      customer: { talk: talk(customer), emotion: customer.stats() },
      agent: { talk: talk(agent), emotion: agent.stats() },
      alerts: this.alerts,
      modelVersion: this.modelVersion ?? 'unknown',
      interrupted: true,
    };
  }
}
