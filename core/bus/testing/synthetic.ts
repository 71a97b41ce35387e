// Schema-valid synthetic calls (scores, alerts, summary) from a seed, for the pipeline's tests and
// benchmarks. Deterministic: the same options give the same events, including event ids, so a
// replay of a synthetic stream is a real replay.
import { EMOTIONS } from '../../emotions.ts';
import {
  type AlertEvent,
  type CallSummaryEvent,
  type EmotionProbs,
  EVENT_SCHEMA_VERSION,
  type ScoreEvent,
  type SpeakerRole,
} from '../../events/schema.ts';
import { seededRandom } from '../../random.ts';

export interface SyntheticCallOptions {
  tenantId: string;
  callId: string;
  agentId: string | null;
  queue: string | null;
  startedAtMs: number;
  durationMs: number;
  /** Score window length and hop (default 2,000). */
  windowMs?: number;
  /** 0 … 1: how frustrated the customer gets towards the end (default from the seed). */
  escalation?: number;
  /** PRNG seed (default: the call id). */
  seed?: string;
}

export interface SyntheticCall {
  scores: ScoreEvent[];
  alerts: AlertEvent[];
  summary: CallSummaryEvent;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

function probs(anger: number, random: () => number): EmotionProbs {
  const raw = EMOTIONS.map((e) => (e === 'angry' ? anger * 3 : e === 'neutral' ? 1 - anger : random() * 0.3));
  const sum = raw.reduce((s, x) => s + x, 0);
  return Object.fromEntries(EMOTIONS.map((e, i) => [e, round((raw[i] ?? 0) / sum)])) as EmotionProbs;
}

export function syntheticCall(options: SyntheticCallOptions): SyntheticCall {
  const random = seededRandom(options.seed ?? options.callId);
  const windowMs = options.windowMs ?? 2_000;
  const escalation = options.escalation ?? random();
  const envelope = {
    schemaVersion: EVENT_SCHEMA_VERSION,
    tenantId: options.tenantId,
    callId: options.callId,
    agentId: options.agentId,
    queue: options.queue,
  };
  const scores: ScoreEvent[] = [];
  const windows = Math.max(1, Math.floor(options.durationMs / windowMs));
  for (let w = 0; w < windows; w++) {
    const progress = windows === 1 ? 1 : w / (windows - 1);
    for (const speaker of ['customer', 'agent'] as const satisfies readonly SpeakerRole[]) {
      const frustration = round(
        clamp01((speaker === 'customer' ? escalation * progress : 0.1) + (random() - 0.5) * 0.1),
      );
      const windowStartMs = w * windowMs;
      scores.push({
        ...envelope,
        type: 'score',
        eventId: `${options.callId}:score:${speaker}:${windowStartMs}`,
        producedAtMs: options.startedAtMs + windowStartMs + windowMs,
        speaker,
        windowStartMs,
        windowEndMs: windowStartMs + windowMs,
        probs: probs(frustration, random),
        valence: round(0.6 - 1.2 * frustration),
        arousal: round(clamp01(0.3 + frustration * 0.6)),
        frustration,
        speechRatio: round(0.5 + random() * 0.5),
        modelVersion: 'synthetic-1',
      });
    }
  }
  const customer = scores.filter((s) => s.speaker === 'customer');
  const perMinute = Math.max(1, Math.round(60_000 / windowMs));
  const mean = (xs: ScoreEvent[], f: (s: ScoreEvent) => number) =>
    round(xs.reduce((sum, s) => sum + f(s), 0) / Math.max(1, xs.length));
  const first = customer.slice(0, perMinute);
  const last = customer.slice(-perMinute);
  const peak = customer.reduce(
    (best, s) => (s.frustration > best.frustration ? s : best),
    customer[0] as ScoreEvent,
  );
  const alerts: AlertEvent[] =
    peak.frustration >= 0.7
      ? [
          {
            ...envelope,
            type: 'alert',
            eventId: `${options.callId}:alert:customer_frustration_sustained:${peak.windowStartMs}`,
            producedAtMs: peak.producedAtMs,
            rule: 'customer_frustration_sustained',
            speaker: 'customer',
            severity: peak.frustration >= 0.85 ? 'critical' : 'warning',
            atMs: peak.windowStartMs,
            value: peak.frustration,
            threshold: 0.7,
            message: 'customer frustration above 0.7',
          },
        ]
      : [];
  const talkMs = Math.round(options.durationMs * 0.45);
  const emotionMix = Object.fromEntries(
    EMOTIONS.map((e) => [e, mean(customer, (s) => s.probs[e])]),
  ) as EmotionProbs;
  const summary: CallSummaryEvent = {
    ...envelope,
    type: 'call_summary',
    eventId: `${options.callId}:summary`,
    producedAtMs: options.startedAtMs + options.durationMs,
    startedAtMs: options.startedAtMs,
    endedAtMs: options.startedAtMs + options.durationMs,
    durationMs: options.durationMs,
    overtalkMs: Math.round(options.durationMs * 0.03),
    customer: {
      talk: { talkMs, silenceMs: options.durationMs - talkMs },
      emotion: {
        emotionMix,
        meanFrustration: mean(customer, (s) => s.frustration),
        peakFrustration: peak.frustration,
        peakFrustrationAtMs: peak.windowStartMs,
        startValence: mean(first, (s) => s.valence),
        endValence: mean(last, (s) => s.valence),
        startFrustration: mean(first, (s) => s.frustration),
        endFrustration: mean(last, (s) => s.frustration),
        scoredWindows: customer.length,
      },
    },
    agent: { talk: { talkMs, silenceMs: options.durationMs - talkMs }, emotion: null },
    alerts: alerts.length,
    modelVersion: 'synthetic-1',
  };
  return { scores, alerts, summary };
}
