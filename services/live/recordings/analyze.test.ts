import { describe, expect, it } from 'vitest';
import { writeWav } from '../../../core/audio/wav.ts';
import type { ScoreEvent, VoicePulseEvent } from '../../../core/events/schema.ts';
import type { RecordingMeta } from '../../../core/recordings/metadata.ts';
import { callWav, syntheticCall } from '../../../core/recordings/testing/audio.ts';
import { ManualClock } from '../../../core/streaming/clock.ts';
import { DEFAULT_STREAMING } from '../../../core/streaming/config.ts';
import { randomChunks } from '../../../core/streaming/testing/synthetic.ts';
import { DEFAULT_POLICY, tenantPolicySchema } from '../../../core/tenancy/policy.ts';
import { ScoringEngine } from '../scoring/engine.ts';
import { analyzeRecording, scoresOf } from './analyze.ts';
import { energyScorer } from './testing/scorer.ts';

const STARTED = Date.parse('2024-03-05T14:30:00Z');
const meta: RecordingMeta = {
  callId: 'rec-1',
  tenantId: 'acme',
  agentId: 'a-7',
  queue: 'billing',
  startedAtMs: STARTED,
  assumed: [],
};
const scorer = energyScorer();
const call = syntheticCall(40, { seed: 3 });
const wav = callWav(call);
const options = { scorer, config: DEFAULT_STREAMING, policy: DEFAULT_POLICY };

/** An event without the wall-clock time it was produced at. */
const timeless = (e: VoicePulseEvent) => {
  const { producedAtMs: _, ...rest } = e;
  if (rest.type !== 'call_summary') return rest;
  const { startedAtMs: _s, endedAtMs: _e, ...summary } = rest;
  return summary;
};

describe('analyzeRecording', () => {
  it("stamps every event with the recording's own time: the call's start plus the audio position", async () => {
    const a = await analyzeRecording(wav, meta, options);
    const scores = scoresOf(a, 'customer');
    expect(scores.length).toBeGreaterThan(10);
    for (const s of scores) expect(s.producedAtMs).toBe(STARTED + s.windowEndMs);
    for (const alert of a.alerts) expect(alert.producedAtMs).toBe(STARTED + alert.atMs);
    expect(a.summary.startedAtMs).toBe(STARTED);
    expect(a.summary.durationMs).toBe(40_000);
    expect(a.summary.endedAtMs).toBe(STARTED + 40_000);
    expect(a.events.at(-1)).toBe(a.summary);
    expect(a.speakers).toEqual(['customer', 'agent']);
  });

  it('produces exactly the events of a live call of the same audio, whatever the chunking', async () => {
    const a = await analyzeRecording(wav, meta, options);
    // The live path: the engine fed the decoded audio in random chunks on a clock of its own.
    const live: VoicePulseEvent[] = [];
    const clock = new ManualClock(1);
    const engine = new ScoringEngine({
      scorer,
      config: DEFAULT_STREAMING,
      clock,
      emit: (out) => live.push(...out.map((o) => o.event)),
    });
    engine.startCall(0, meta, DEFAULT_POLICY);
    const decoded = (await import('../../../core/audio/wav.ts')).readWav(wav);
    const [agent, customer] = decoded.channels as [Float32Array, Float32Array];
    const agentChunks = randomChunks(agent, 3000, 5);
    const customerChunks = randomChunks(customer, 7000, 9);
    for (const c of agentChunks) engine.pushAudio(0, 'agent', c, clock.now());
    for (const c of customerChunks) {
      engine.pushAudio(0, 'customer', c, clock.now());
      await engine.drain();
    }
    engine.endCall(0, clock.now());
    await engine.drain();
    const sorted = (es: VoicePulseEvent[]) =>
      es.map(timeless).sort((x, y) => x.eventId.localeCompare(y.eventId));
    expect(sorted(a.events)).toEqual(sorted(live));
  });

  it('applies the tenant policy as in live calls: no agent emotion unless the tenant allows it', async () => {
    const off = await analyzeRecording(wav, meta, options);
    expect(scoresOf(off, 'agent')).toHaveLength(0);
    expect(off.summary.agent.emotion).toBeNull();
    expect(off.summary.agent.talk.talkMs).toBeGreaterThan(10_000);
    const policy = tenantPolicySchema.parse({ agentEmotionScoring: true });
    const on = await analyzeRecording(wav, meta, { ...options, policy });
    expect(scoresOf(on, 'agent').length).toBeGreaterThan(10);
    expect(on.summary.agent.emotion).not.toBeNull();
  });

  it('takes the customer from the channel it is told (default right)', async () => {
    const right = await analyzeRecording(wav, meta, options);
    const left = await analyzeRecording(wav, meta, { ...options, customerChannel: 'left' });
    const mean = (s: ScoreEvent[]) => s.reduce((n, e) => n + e.probs.angry, 0) / s.length;
    // The synthetic customer (right) is the loud, high voice; the agent (left) the quiet, low one.
    expect(mean(scoresOf(right, 'customer'))).toBeGreaterThan(2 * mean(scoresOf(left, 'customer')));
    expect(right.summary.customer.talk.talkMs).toBe(left.summary.agent.talk.talkMs);
  });

  it('analyses a mono recording as one speaker, the customer unless told otherwise', async () => {
    const mono = writeWav({ sampleRate: 8000, channels: [call.channels[1]] }, 'pcm16');
    const asCustomer = await analyzeRecording(mono, meta, options);
    expect(asCustomer.speakers).toEqual(['customer']);
    expect(scoresOf(asCustomer, 'customer').length).toBeGreaterThan(10);
    const asAgent = await analyzeRecording(mono, meta, { ...options, monoSpeaker: 'agent' });
    expect(asAgent.speakers).toEqual(['agent']);
    expect(asAgent.events.filter((e) => e.type === 'score')).toHaveLength(0);
  });

  it('gives the same events when the same recording is analysed again', async () => {
    const a = await analyzeRecording(wav, meta, options);
    const b = await analyzeRecording(wav, meta, options);
    expect(b.events).toEqual(a.events);
  });

  it('resamples a recording at another rate and refuses more than two channels', async () => {
    const wide = writeWav(
      {
        sampleRate: 16000,
        channels: call.channels.map((c) => Float32Array.from({ length: 2 * c.length }, (_, i) => c[i >> 1]!)),
      },
      'pcm16',
    );
    const a = await analyzeRecording(wide, meta, options);
    expect(a.summary.durationMs).toBe(40_000);
    const three = writeWav({ sampleRate: 8000, channels: [...call.channels, call.channels[0]] }, 'pcm16');
    await expect(analyzeRecording(three, meta, options)).rejects.toThrow(/^TOO_MANY_CHANNELS: 3 channels/);
  });
});
