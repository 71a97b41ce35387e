// Through real sockets: whatever the protocol and chunking, a call's window scores equal those of
// scoring the same audio offline in one piece and those of `voicepulse classify`; agent audio is
// never scored by default.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFile } from '../../cli/commands/model.ts';
import { mediaMessages, startMessage, stopMessage, toPcm16 } from '../../clients/twilio-client.ts';
import { decodeUlaw, encodeUlaw } from '../../core/audio/g711.ts';
import { writeWav } from '../../core/audio/wav.ts';
import { ORG } from '../../core/auth/testing/audiohook.ts';
import { EMOTIONS } from '../../core/emotions.ts';
import type { CallSummaryEvent, VoicePulseEvent } from '../../core/events/schema.ts';
import { openModel } from '../../core/model/runner.ts';
import { ManualClock } from '../../core/streaming/clock.ts';
import { streamingConfig } from '../../core/streaming/config.ts';
import { concat, randomChunks, silence, voiced } from '../../core/streaming/testing/synthetic.ts';
import { DEFAULT_POLICY, type TenantPolicy } from '../../core/tenancy/policy.ts';
import type { App } from '../../services/live/app.ts';
import { ScoringEngine } from '../../services/live/scoring/engine.ts';
import { openScorer } from '../../services/live/scoring/scorer.ts';
import { audiohookSession } from '../testing/audiohook.ts';
import { connect, expectClose, isSummary, scoresOf, TOKEN, tempModelDir, testApp } from '../testing/e2e.ts';

const CONVERSATION = '44444444-5555-4666-8777-888888888888';

const model = tempModelDir();
let app: App;
beforeAll(async () => {
  app = await testApp(model.dir, {
    threads: 1,
    policies: { open: { ...DEFAULT_POLICY, agentEmotionScoring: true } },
  });
});
afterAll(async () => {
  await app.stop();
  model.remove();
});

const customerAudio = concat(
  voiced(3500, { f0: 190 }),
  silence(1500),
  voiced(3000, { f0: 240, amplitude: 0.5, seed: 2 }),
);
const agentAudio = concat(silence(2000), voiced(6000, { f0: 115, seed: 7 }));
/** What the audio is after a trip through G.711 µ-law. */
const viaUlaw = (x: Float32Array) => Float32Array.from(decodeUlaw(encodeUlaw(toPcm16(x))), (v) => v / 32768);
const viaPcm16 = (x: Float32Array) => Float32Array.from(toPcm16(x), (v) => v / 32768);

async function offline(
  callId: string,
  tenant: string,
  customer: Float32Array,
  agent: Float32Array,
  policy: TenantPolicy,
) {
  const out: VoicePulseEvent[] = [];
  const engine = new ScoringEngine({
    scorer: await openScorer(model.dir, { runtime: 'auto' }),
    config: streamingConfig(),
    clock: new ManualClock(0),
    emit: (o) => out.push(...o.map((x) => x.event)),
  });
  engine.startCall(0, { callId, tenantId: tenant, agentId: 'agent-1', queue: 'billing' }, policy);
  engine.pushAudio(0, 'customer', customer, 0);
  engine.pushAudio(0, 'agent', agent, 0);
  engine.endCall(0, 0);
  await engine.drain();
  return out;
}

describe('live scoring through sockets', () => {
  it('Twilio: out-of-order 20 ms chunks give the offline scores; agent not scored by default', async () => {
    const call = {
      callSid: 'CA-e2e-1',
      streamSid: 'MZ1',
      params: { tenant: 'acme', agent: 'agent-1', queue: 'billing', token: TOKEN },
    };
    const watcher = connect(`${app.urls.watch}?callId=CA-e2e-1`);
    await watcher.opened;
    // Twilio cannot set headers: authenticate with the custom parameter only.
    const ws = connect(app.urls.twilio!, {});
    await ws.opened;
    ws.ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    ws.ws.send(startMessage(call));
    const inbound = mediaMessages(call, 'inbound', customerAudio);
    const outbound = mediaMessages(call, 'outbound', agentAudio);
    // Interleave tracks and swap neighbouring chunks, as a reordering carrier would.
    for (let i = 0; i < inbound.length; i += 2) {
      for (const track of [inbound, outbound]) {
        if (track[i + 1]) ws.ws.send(track[i + 1]!);
        if (track[i]) ws.ws.send(track[i]!);
      }
    }
    ws.ws.send(stopMessage(call));
    const summary = (await watcher.waitFor(isSummary)) as CallSummaryEvent;
    const reference = await offline(
      'CA-e2e-1',
      'acme',
      viaUlaw(customerAudio),
      viaUlaw(agentAudio),
      DEFAULT_POLICY,
    );
    expectClose(scoresOf(watcher.events()), scoresOf(reference));
    expect(scoresOf(reference).length).toBeGreaterThan(4);
    expect(watcher.events().some((e) => e.type === 'score' && e.speaker === 'agent')).toBe(false);
    expect(summary.agent.emotion).toBeNull();
    expect(summary.agent.talk.talkMs).toBeGreaterThan(5000);
    expect(summary.durationMs).toBe(8000);
    ws.ws.close();
    watcher.ws.close();
  });

  it('native: random chunk sizes, tagged mono per speaker, scores pushed back on the same socket', async () => {
    const ws = connect(app.urls.stream!);
    await ws.opened;
    ws.ws.send(
      JSON.stringify({
        type: 'start',
        callId: 'native-1',
        tenant: 'open',
        agent: 'agent-1',
        queue: 'billing',
        codec: 'pcm16',
        sampleRate: 8000,
        channels: ['customer', 'agent'],
        framing: 'tagged',
      }),
    );
    await ws.waitFor((m) => (m as { type: string }).type === 'started');
    const c = randomChunks(
      toPcm16(customerAudio) as unknown as Float32Array,
      700,
      3,
    ) as unknown as Int16Array[];
    const a = randomChunks(toPcm16(agentAudio) as unknown as Float32Array, 300, 4) as unknown as Int16Array[];
    const frame = (tag: number, pcm: Int16Array) =>
      Buffer.concat([Buffer.from([tag]), Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)]);
    for (let i = 0; i < Math.max(c.length, a.length); i++) {
      if (c[i]) ws.ws.send(frame(0, c[i]!));
      if (a[i]) ws.ws.send(frame(1, a[i]!));
    }
    ws.ws.send(JSON.stringify({ type: 'stop' }));
    await ws.waitFor(isSummary);
    const { code } = await ws.closed;
    expect(code).toBe(1000);
    const allow = { ...DEFAULT_POLICY, agentEmotionScoring: true };
    const reference = await offline('native-1', 'open', viaPcm16(customerAudio), viaPcm16(agentAudio), allow);
    expectClose(scoresOf(ws.events()), scoresOf(reference));
    expect(ws.events().some((e) => e.type === 'score' && e.speaker === 'agent')).toBe(true);
  });

  it('AudioHook: stereo PCMU frames of any size give the offline scores', async () => {
    const watcher = connect(`${app.urls.watch}?tenant=acme`);
    await watcher.opened;
    const { c: ws, send } = await audiohookSession(app, { apiKey: TOKEN });
    send('open', {
      organizationId: ORG,
      conversationId: CONVERSATION,
      participant: { id: '33333333-4444-4555-8666-777777777777', ani: '', aniName: '', dnis: '' },
      media: [
        { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 },
        { type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 },
      ],
      customConfig: { tenant: 'acme', agent: 'agent-1', queue: 'billing' },
    });
    const opened = (await ws.waitFor((m) => (m as { type: string }).type === 'opened')) as {
      seq: number;
      clientseq: number;
    };
    expect(opened).toMatchObject({ seq: 1, clientseq: 1 });
    send('ping', {});
    await ws.waitFor((m) => (m as { type: string }).type === 'pong');
    const n = customerAudio.length;
    const cu = encodeUlaw(toPcm16(customerAudio));
    const ag = encodeUlaw(toPcm16(agentAudio));
    const stereo = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) {
      stereo[2 * i] = cu[i]!;
      stereo[2 * i + 1] = ag[i]!;
    }
    for (let o = 0, k = 0; o < stereo.length; k++) {
      const frames = 1 + ((k * 7919) % 800);
      ws.ws.send(stereo.subarray(o, Math.min(stereo.length, o + 2 * frames)));
      o += 2 * frames;
    }
    send('close', { reason: 'end' });
    await ws.waitFor((m) => (m as { type: string }).type === 'closed');
    await watcher.waitFor((m) => isSummary(m) && (m as { callId: string }).callId === CONVERSATION);
    const reference = await offline(
      CONVERSATION,
      'acme',
      viaUlaw(customerAudio),
      viaUlaw(agentAudio),
      DEFAULT_POLICY,
    );
    expectClose(scoresOf(watcher.events().filter((e) => e.callId === CONVERSATION)), scoresOf(reference));
    ws.ws.close();
    watcher.ws.close();
  });
  it('Twilio: the live window scores equal `voicepulse classify` of the same audio', async () => {
    const call = {
      callSid: 'CA-e2e-classify',
      streamSid: 'MZ2',
      params: { tenant: 'acme', agent: 'agent-1', queue: 'billing', token: TOKEN },
    };
    const watcher = connect(`${app.urls.watch}?callId=${call.callSid}`);
    await watcher.opened;
    const ws = connect(app.urls.twilio!, {});
    await ws.opened;
    ws.ws.send(startMessage(call));
    for (const m of mediaMessages(call, 'inbound', customerAudio)) ws.ws.send(m);
    ws.ws.send(stopMessage(call));
    await watcher.waitFor(isSummary);
    ws.ws.close();
    watcher.ws.close();

    // What the gateway decoded: the µ-law round trip of the audio, written losslessly as PCM16.
    const dir = mkdtempSync(join(tmpdir(), 'vp-e2e-classify-'));
    const wav = join(dir, 'customer.wav');
    writeFileSync(wav, writeWav({ sampleRate: 8000, channels: [viaUlaw(customerAudio)] }, 'pcm16'));
    const classified = await classifyFile(wav, await openModel(model.dir));
    rmSync(dir, { recursive: true, force: true });

    const live = scoresOf(watcher.events());
    expect(live.length).toBeGreaterThan(3);
    expect(live.map((e) => [e.windowStartMs / 1000, e.windowEndMs / 1000])).toEqual(
      classified.windows.map((w) => [w.start, w.end]),
    );
    live.forEach((e, i) => {
      for (const emotion of EMOTIONS)
        expect(e.probs[emotion]).toBeCloseTo(classified.windows[i]!.probs[emotion], 4);
    });
  });
});
