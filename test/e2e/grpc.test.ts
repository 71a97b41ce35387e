// gRPC StreamCall / WatchCall / WatchAlerts through a real HTTP/2 connection.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPcm16 } from '../../clients/twilio-client.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { ManualClock } from '../../core/streaming/clock.ts';
import { streamingConfig } from '../../core/streaming/config.ts';
import { concat, silence, voiced } from '../../core/streaming/testing/synthetic.ts';
import { DEFAULT_POLICY } from '../../core/tenancy/policy.ts';
import { voicePulseService } from '../../proto/load.ts';
import type { App } from '../../services/live/app.ts';
import { collect } from '../../services/live/ingress/testing/grpc.ts';
import { ScoringEngine } from '../../services/live/scoring/engine.ts';
import { openScorer } from '../../services/live/scoring/scorer.ts';
import { expectClose, TOKEN, tempModelDir, testApp } from '../testing/e2e.ts';

const model = tempModelDir();
let app: App;
interface VoicePulseClient extends grpc.Client {
  streamCall(m: grpc.Metadata): grpc.ClientDuplexStream<unknown, Ev>;
  watchCall(req: object, m: grpc.Metadata): grpc.ClientReadableStream<Ev>;
  watchAlerts(req: object, m: grpc.Metadata): grpc.ClientReadableStream<Ev>;
}
let client: VoicePulseClient;
beforeAll(async () => {
  app = await testApp(model.dir, { grpcPort: 0 });
  const Client = voicePulseService();
  client = new Client(app.urls.grpc!, grpc.credentials.createInsecure()) as unknown as VoicePulseClient;
});
afterAll(async () => {
  client.close();
  await app.stop();
  model.remove();
});

const auth = (token = TOKEN) => {
  const m = new grpc.Metadata();
  m.set('authorization', `Bearer ${token}`);
  return m;
};

interface Ev {
  envelope: { callId: string };
  body: string;
  score?: { speaker: string; windowStartMs: number; windowEndMs: number; probs: Record<string, number> };
  callSummary?: { json: string };
}

function streamCall(metadata: grpc.Metadata) {
  const stream = client.streamCall(metadata);
  return { stream, ...collect(stream) };
}

const start = (callId: string, over: object = {}) => ({
  start: {
    callId,
    tenant: 'g',
    agent: 'a',
    queue: 'q',
    codec: 'CODEC_PCM16',
    sampleRate: 8000,
    channels: ['SPEAKER_CUSTOMER'],
    ...over,
  },
});

describe('gRPC', () => {
  it('StreamCall returns the offline window scores; WatchCall sees the same call', async () => {
    const audio = concat(voiced(3000, { f0: 170 }), silence(1000), voiced(2500, { seed: 4 }));
    const watch = client.watchCall({ callId: 'g1' }, auth());
    const { events: watched } = collect(watch);
    await new Promise((r) => setTimeout(r, 100));
    const { stream, events, done } = streamCall(auth());
    stream.write(start('g1'));
    const pcm = toPcm16(audio);
    for (let o = 0; o < pcm.length; o += 1234)
      stream.write({ chunk: { audio: Buffer.from(pcm.slice(o, o + 1234).buffer) } });
    stream.write({ stop: {} });
    stream.end();
    expect(await done).toBeNull();
    const offline: VoicePulseEvent[] = [];
    const engine = new ScoringEngine({
      scorer: await openScorer(model.dir, { runtime: 'auto' }),
      config: streamingConfig(),
      clock: new ManualClock(0),
      emit: (o) => offline.push(...o.map((x) => x.event)),
    });
    engine.startCall(0, { callId: 'g1', tenantId: 'g', agentId: 'a', queue: 'q' }, DEFAULT_POLICY);
    engine.pushAudio(
      0,
      'customer',
      Float32Array.from(pcm, (v) => v / 32768),
      0,
    );
    engine.endCall(0, 0);
    await engine.drain();
    const live = events
      .filter((e) => e.body === 'score')
      .map((e) => [e.score!.windowStartMs, e.score!.windowEndMs, e.score!.probs]);
    const ref = offline.flatMap((e) =>
      e.type === 'score' ? [[e.windowStartMs, e.windowEndMs, e.probs]] : [],
    );
    expect(ref.length).toBe(5);
    expectClose(live, ref);
    expect(JSON.parse(events.at(-1)!.callSummary!.json).type).toBe('call_summary');
    await new Promise((r) => setTimeout(r, 100));
    expect(watched.filter((e) => e.body === 'score').length).toBe(5);
    watch.cancel();
  });

  it('refuses a wrong token, a bad codec, audio before start and a duplicate call', async () => {
    const bad = streamCall(auth('wrong'));
    bad.stream.write(start('g2'));
    expect((await bad.done)?.code).toBe(grpc.status.UNAUTHENTICATED);
    const codec = streamCall(auth());
    codec.stream.write(start('g3', { codec: 'CODEC_UNSPECIFIED' }));
    expect((await codec.done)?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const early = streamCall(auth());
    early.stream.write({ chunk: { audio: Buffer.alloc(320) } });
    expect((await early.done)?.code).toBe(grpc.status.FAILED_PRECONDITION);
    const frame = streamCall(auth());
    frame.stream.write(start('g4'));
    frame.stream.write({ chunk: { audio: Buffer.alloc(321) } });
    expect((await frame.done)?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const first = streamCall(auth());
    first.stream.write(start('g5'));
    await new Promise((r) => setTimeout(r, 100));
    const dup = streamCall(auth());
    dup.stream.write(start('g5'));
    expect((await dup.done)?.code).toBe(grpc.status.ALREADY_EXISTS);
    first.stream.end();
    await first.done;
    const err = (await collect(client.watchAlerts({}, auth())).done)!;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});
