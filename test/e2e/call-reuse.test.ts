// Call-id reuse across tenants under load, on every transport: tenant acme's call X ends abruptly
// while the scoring thread is busy with 8 other calls, and tenant globex starts X 30 ms later. No
// event of acme's call may reach globex (its socket or stream, its watchers); globex's start is
// refused with `call-ending` (1013 / UNAVAILABLE) until acme's summary is out, and then X is
// globex's own call, scored and summarised as globex's.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaMessages, startMessage, stopMessage, toPcm16 } from '../../clients/twilio-client.ts';
import { encodeUlaw } from '../../core/audio/g711.ts';
import { ORG } from '../../core/auth/testing/audiohook.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { voiced } from '../../core/streaming/testing/synthetic.ts';
import { voicePulseService } from '../../proto/load.ts';
import type { App } from '../../services/live/app.ts';
import { DEFAULT_LIMITS } from '../../services/live/ingress/session.ts';
import { audiohookSession } from '../testing/audiohook.ts';
import { type Client, connect, isSummary, TOKEN, tempModelDir, testApp } from '../testing/e2e.ts';

const ACME = 'acme-reuse-token-7f3b9c2d1e';
const GLOBEX = 'globex-reuse-token-4a8e6b0c5d';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const model = tempModelDir();
let app: App;
let busy: Client[] = [];

beforeAll(async () => {
  app = await testApp(model.dir, {
    threads: 1,
    grpcPort: 0,
    tenantTokens: { acme: ACME, globex: GLOBEX },
    limits: { ...DEFAULT_LIMITS, maxScoringLagMs: 0 },
  });
});
afterAll(async () => {
  for (const c of busy) c.ws.terminate();
  await app.stop();
  model.remove();
});

const pcm = (ms: number, seed: number) => {
  const x = toPcm16(voiced(ms, { seed }));
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
};

/** A native call of `tenant` on `callId`: started, `ms` of audio sent at once. */
async function nativeCall(token: string, tenant: string, callId: string, ms: number): Promise<Client> {
  const c = connect(app.urls.stream!, bearer(token));
  await c.opened;
  c.ws.send(
    JSON.stringify({
      type: 'start',
      callId,
      tenant,
      codec: 'pcm16',
      sampleRate: 8000,
      channels: ['customer'],
    }),
  );
  await c.waitFor((m) => (m as { type: string }).type === 'started');
  const audio = pcm(ms, callId.length);
  for (let o = 0; o < audio.length; o += 3200) c.ws.send(audio.subarray(o, o + 3200));
  return c;
}

/** Keeps the scoring thread busy: 8 calls, each with a steady backlog of windows. */
async function load(round: string) {
  for (const c of busy) c.ws.terminate();
  busy = await Promise.all(
    Array.from({ length: 8 }, (_, i) => nativeCall(TOKEN, 'load', `load-${round}-${i}`, 30_000)),
  );
}

/** acme's call X ends abruptly (socket torn down, no stop) while its windows still wait to be scored. */
async function acmeEndsAbruptly(callId: string) {
  const acmeWatch = connect(`${app.urls.watch}?tenant=acme`, bearer(ACME));
  await acmeWatch.opened;
  const acme = await nativeCall(ACME, 'acme', callId, 12_000);
  await acme.waitFor((m) => (m as { type: string }).type === 'score', 30_000);
  acme.ws.terminate();
  await new Promise((r) => setTimeout(r, 30));
  const summaryOut = acmeWatch.waitFor(
    (m) => isSummary(m) && (m as { callId: string }).callId === callId,
    60_000,
  );
  return { summaryOut, acmeWatch };
}

/** globex's watchers of the tenant and of the call: what they see must all be globex's. */
async function globexWatchers(callId: string) {
  const tenant = connect(`${app.urls.watch}?tenant=globex`, bearer(GLOBEX));
  const call = connect(`${app.urls.watch}?callId=${callId}`, bearer(GLOBEX));
  await Promise.all([tenant.opened, call.opened]);
  return [tenant, call];
}

const tenantsOf = (events: readonly { tenantId: string }[]) => [...new Set(events.map((e) => e.tenantId))];

describe('a call id reused by another tenant under load', () => {
  it('native /stream: refused with call-ending while acme’s call ends, never sees its events, then is globex’s', async () => {
    await load('native');
    const { summaryOut, acmeWatch } = await acmeEndsAbruptly('X-native');
    const watchers = await globexWatchers('X-native');
    const early = connect(app.urls.stream!, bearer(GLOBEX));
    await early.opened;
    early.ws.send(
      JSON.stringify({
        type: 'start',
        callId: 'X-native',
        tenant: 'globex',
        codec: 'pcm16',
        sampleRate: 8000,
        channels: ['customer'],
      }),
    );
    expect(await early.closed).toEqual({ code: 1013, reason: 'call-ending' });
    expect(early.events()).toEqual([]);
    await summaryOut;
    const again = await nativeCall(GLOBEX, 'globex', 'X-native', 3000);
    again.ws.send(JSON.stringify({ type: 'stop' }));
    const summary = (await again.waitFor(isSummary, 60_000)) as VoicePulseEvent;
    expect(summary?.tenantId).toBe('globex');
    expect(tenantsOf(again.events())).toEqual(['globex']);
    for (const w of watchers) expect(tenantsOf(w.events())).toEqual(['globex']);
    for (const c of [again, acmeWatch, ...watchers]) c.ws.close();
  }, 120_000);

  it('gRPC StreamCall: UNAVAILABLE call-ending, no acme event, then globex’s own call', async () => {
    await load('grpc');
    const Service = voicePulseService();
    const client = new Service(
      app.urls.grpc!,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      streamCall(
        m: grpc.Metadata,
      ): grpc.ClientDuplexStream<unknown, { envelope: { tenantId: string }; callSummary?: object }>;
    };
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${GLOBEX}`);
    const open = () => {
      const stream = client.streamCall(metadata);
      const events: { envelope: { tenantId: string }; callSummary?: object }[] = [];
      const done = new Promise<grpc.ServiceError | null>((resolve) => {
        stream.on('data', (e) => events.push(e));
        stream.on('end', () => resolve(null));
        stream.on('error', resolve);
      });
      return { stream, events, done };
    };
    const start = {
      start: {
        callId: 'X-grpc',
        tenant: 'globex',
        codec: 'CODEC_PCM16',
        sampleRate: 8000,
        channels: ['SPEAKER_CUSTOMER'],
      },
    };
    const { summaryOut, acmeWatch } = await acmeEndsAbruptly('X-grpc');
    const early = open();
    early.stream.write(start);
    const refused = await early.done;
    expect(refused && { code: grpc.status[refused.code], details: refused.details }).toEqual({
      code: 'UNAVAILABLE',
      details: 'call X-grpc is still ending; start it again once its summary is out',
    });
    expect(early.events).toEqual([]);
    await summaryOut;
    const again = open();
    again.stream.write(start);
    again.stream.write({ chunk: { audio: pcm(3000, 3) } });
    again.stream.write({ stop: {} });
    expect(await again.done).toBeNull();
    expect(again.events.at(-1)?.callSummary).toBeDefined();
    expect(tenantsOf(again.events.map((e) => e.envelope))).toEqual(['globex']);
    client.close();
    acmeWatch.ws.close();
  }, 120_000);

  it('Twilio: the reused id is refused with call-ending; globex’s watchers never see acme', async () => {
    await load('twilio');
    const call = { callSid: 'X-twilio', streamSid: 'MZ-x', params: { tenant: 'globex', token: GLOBEX } };
    const { summaryOut, acmeWatch } = await acmeEndsAbruptly('X-twilio');
    const watchers = await globexWatchers('X-twilio');
    const early = connect(app.urls.twilio!, {});
    await early.opened;
    early.ws.send(startMessage(call));
    expect(await early.closed).toEqual({ code: 1013, reason: 'call-ending' });
    await summaryOut;
    const again = connect(app.urls.twilio!, {});
    await again.opened;
    again.ws.send(startMessage(call));
    for (const m of mediaMessages(call, 'inbound', voiced(3000, { seed: 5 }))) again.ws.send(m);
    again.ws.send(stopMessage(call));
    // Both watchers have the summary (each socket delivers on its own) before their events are compared.
    const [, summary] = (await Promise.all(
      watchers.map((w) => w.waitFor(isSummary, 60_000)),
    )) as VoicePulseEvent[];
    expect(summary?.tenantId).toBe('globex');
    for (const w of watchers) expect(tenantsOf(w.events())).toEqual(['globex']);
    for (const c of [again, acmeWatch, ...watchers]) c.ws.close();
  }, 120_000);

  it('AudioHook: the reused conversation is refused (disconnect call-ending); then it is globex’s', async () => {
    await load('audiohook');
    const conversation = '55555555-6666-4777-8888-999999999999';
    const { summaryOut, acmeWatch } = await acmeEndsAbruptly(conversation);
    const watchers = await globexWatchers(conversation);
    const genesys = async (sessionId: string) => {
      const { c, send } = await audiohookSession(app, { apiKey: GLOBEX, sessionId });
      send('open', {
        organizationId: ORG,
        conversationId: conversation,
        participant: { id: '33333333-4444-4555-8666-777777777777', ani: '', aniName: '', dnis: '' },
        media: [{ type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 }],
        customConfig: { tenant: 'globex' },
      });
      return { c, send };
    };
    const early = await genesys('00000000-0000-4000-8000-0000000000a1');
    const disconnect = (await early.c.waitFor((m) => (m as { type: string }).type === 'disconnect')) as {
      parameters: { reason: string; info: string };
    };
    expect(disconnect.parameters).toEqual({
      reason: 'error',
      info: `call ${conversation} is still ending; start it again once its summary is out`,
    });
    early.send('close', { reason: 'error' });
    expect(await early.c.closed).toEqual({ code: 1013, reason: 'call-ending' });
    await summaryOut;
    const again = await genesys('00000000-0000-4000-8000-0000000000a2');
    await again.c.waitFor((m) => (m as { type: string }).type === 'opened');
    again.c.ws.send(encodeUlaw(toPcm16(voiced(3000, { seed: 9 }))));
    again.send('close', { reason: 'end' });
    // Both watchers have the summary (each socket delivers on its own) before their events are compared.
    const [, summary] = (await Promise.all(
      watchers.map((w) => w.waitFor(isSummary, 60_000)),
    )) as VoicePulseEvent[];
    expect(summary?.tenantId).toBe('globex');
    for (const w of watchers) expect(tenantsOf(w.events())).toEqual(['globex']);
    for (const c of [again.c, acmeWatch, ...watchers]) c.ws.close();
  }, 120_000);
});
