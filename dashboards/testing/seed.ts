// A small, deterministic contact-centre history (validated events) for the dashboard SQL tests:
// two queues, three agents, ended calls with summaries and alerts, and calls still in progress.
import { EMOTIONS, type Emotion } from '../../core/emotions.ts';
import { parseEvent, type SpeakerRole, type VoicePulseEvent } from '../../core/events/schema.ts';

export interface SeedOptions {
  tenantId: string;
  /** The newest event's time; history reaches back about an hour before it. */
  nowMs: number;
}

export const SEED_QUEUES = ['billing', 'support'] as const;
export const SEED_AGENTS = ['agent-ana', 'agent-ben', 'agent-cy'] as const;
const MODEL = 'seed-model-1';
const WINDOW_MS = 2000;

/** Emotion probabilities leaning towards `lead` by `weight` (0 … 1), summing to 1. */
function probs(lead: Emotion, weight: number): Record<Emotion, number> {
  const rest = (1 - weight) / (EMOTIONS.length - 1);
  return Object.fromEntries(EMOTIONS.map((e) => [e, e === lead ? weight : rest])) as Record<Emotion, number>;
}

/** Window w's explanation: ten 200 ms segments, the (w mod 10)-th weighing most. */
function explanation(w: number, emotion: Emotion) {
  return {
    emotion,
    segments: Array.from({ length: 10 }, (_, k) => ({
      startMs: w * WINDOW_MS + k * 200,
      endMs: w * WINDOW_MS + (k + 1) * 200,
      weight: k === w % 10 ? 0.2 : (k - 5) / 100,
    })),
  };
}

export function seedEvents({ tenantId, nowMs }: SeedOptions): VoicePulseEvent[] {
  const events: unknown[] = [];
  const calls = 8;
  for (let c = 0; c < calls; c++) {
    const callId = `seed-call-${c}`;
    const queue = SEED_QUEUES[c % SEED_QUEUES.length] ?? null;
    const agentId = SEED_AGENTS[c % SEED_AGENTS.length] ?? null;
    const live = c >= calls - 2; // the last two calls have not ended
    const durationMs = 60_000 + c * 6_000;
    const startedAtMs = live ? nowMs - durationMs : nowMs - 3_600_000 + c * 400_000;
    // Odd calls go badly: the customer gets more frustrated; even ones calm down.
    const worsens = c % 2 === 1;
    const envelope = { schemaVersion: 1, tenantId, callId, agentId, queue };
    const windows = durationMs / WINDOW_MS;
    for (let w = 0; w < windows; w++) {
      const t = w / (windows - 1);
      const frustration = worsens ? 0.2 + 0.7 * t : 0.6 - 0.5 * t;
      for (const speaker of ['customer', 'agent'] as SpeakerRole[]) {
        const f = speaker === 'customer' ? frustration : 0.1;
        events.push({
          ...envelope,
          type: 'score',
          eventId: `${callId}:${speaker}:${w}`,
          producedAtMs: startedAtMs + (w + 1) * WINDOW_MS,
          speaker,
          windowStartMs: w * WINDOW_MS,
          windowEndMs: (w + 1) * WINDOW_MS,
          probs: probs(f > 0.5 ? 'angry' : 'neutral', 0.5 + f / 3),
          valence: 0.5 - f,
          arousal: f,
          frustration: f,
          speechRatio: 0.8,
          modelVersion: MODEL,
          ...(speaker === 'customer' && { explanation: explanation(w, f > 0.5 ? 'angry' : 'neutral') }),
        });
      }
    }
    if (worsens) {
      events.push({
        ...envelope,
        type: 'alert',
        eventId: `${callId}:alert`,
        producedAtMs: startedAtMs + durationMs - 10_000,
        rule: 'customer_frustration_sustained',
        speaker: 'customer',
        severity: c % 4 === 1 ? 'critical' : 'warning',
        atMs: durationMs - 10_000,
        value: 0.85,
        threshold: 0.7,
        message: 'Customer frustration above 0.7 for 10 s',
      });
    }
    if (!live) {
      const start = worsens ? 0.25 : 0.55;
      const end = worsens ? 0.85 : 0.15;
      const emotion = {
        emotionMix: probs(worsens ? 'angry' : 'neutral', 0.6),
        meanFrustration: (start + end) / 2,
        peakFrustration: Math.max(start, end),
        peakFrustrationAtMs: worsens ? durationMs - WINDOW_MS : 0,
        startValence: 0.5 - start,
        endValence: 0.5 - end,
        startFrustration: start,
        endFrustration: end,
        scoredWindows: windows,
      };
      events.push({
        ...envelope,
        type: 'call_summary',
        eventId: `${callId}:summary`,
        producedAtMs: startedAtMs + durationMs + 500,
        startedAtMs,
        endedAtMs: startedAtMs + durationMs,
        durationMs,
        overtalkMs: 1500,
        customer: { talk: { talkMs: durationMs * 0.4, silenceMs: durationMs * 0.6 }, emotion },
        agent: { talk: { talkMs: durationMs * 0.5, silenceMs: durationMs * 0.5 }, emotion: null },
        alerts: worsens ? 1 : 0,
        modelVersion: MODEL,
      });
    }
  }
  return events.map(parseEvent);
}
