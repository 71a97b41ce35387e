// Call-id reuse across tenants under load, on every transport: tenant acme's call X ends abruptly
// while the scoring thread is busy with 8 other calls, and tenant globex starts X 30 ms later. Call
// ids are scoped per tenant and events belong to a call instance: globex's X is admitted at once,
// scored and summarised as globex's, and no event of acme's X reaches globex (its socket or stream,
// its watchers); acme's summary goes to acme's watchers only. acme itself starting X again before
// its summary is out (right after the end) is refused with `call-ending` (1013 / UNAVAILABLE) in the
// transport's form.
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
    limits: { ...DEFAULT_LIMITS, maxScoringLagMs: 0, maxScoringLoad: 0 },
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

const nativeStart = (callId: string, tenant: string) =>
  JSON.stringify({ type: 'start', callId, tenant, codec: 'pcm16', sampleRate: 8000, channels: ['customer'] });

/** A native call of `tenant` on `callId`: started, `ms` of audio sent at once. */
async function nativeCall(token: string, tenant: string, callId: string, ms: number): Promise<Client> {
  const c = connect(app.urls.stream!, bearer(token));
  await c.opened;
  c.ws.send(nativeStart(callId, tenant));
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

const summaryOf = (tenant: string, callId: string) => (m: unknown) =>
  isSummary(m) && (m as VoicePulseEvent).callId === callId && (m as VoicePulseEvent).tenantId === tenant;

/**
 * Watchers first (acme's tenant, to see its summary; globex's tenant and call X, whose events must
 * all be globex's), then acme's call X ends abruptly (socket torn down, no stop) while 25 s of its
 * windows still wait to be scored. At once acme starts X again (`retry`, refused: its summary is not
 * out); 30 ms after the end the test starts X for globex.
 */
async function acmeEndsAbruptly(callId: string, retry: () => Promise<void>) {
  const acmeWatch = connect(`${app.urls.watch}?tenant=acme`, bearer(ACME));
  const watchers = [
    connect(`${app.urls.watch}?tenant=globex`, bearer(GLOBEX)),
    connect(`${app.urls.watch}?callId=${callId}`, bearer(GLOBEX)),
  ];
  await Promise.all([acmeWatch, ...watchers].map((w) => w.opened));
  const acme = await nativeCall(ACME, 'acme', callId, 25_000);
  await acme.waitFor((m) => (m as { type: string }).type === 'score', 30_000);
  acme.ws.terminate();
  const endedAt = Date.now();
  await retry();
  await new Promise((r) => setTimeout(r, Math.max(0, endedAt + 30 - Date.now())));
  const acmeSummary = acmeWatch.waitFor(summaryOf('acme', callId), 60_000) as Promise<VoicePulseEvent>;
  return { acmeSummary, acmeWatch, watchers };
}

const tenantsOf = (events: readonly { tenantId: string }[]) => [...new Set(events.map((e) => e.tenantId))];

/**
 * After both calls are over: acme's summary is acme's and reached acme's watcher only; globex's
 * watchers saw globex's X scored and summarised, and nothing of acme.
 */
async function expectApart(
  callId: string,
  acmeSummary: Promise<VoicePulseEvent>,
  acmeWatch: Client,
  watchers: Client[],
) {
  expect((await acmeSummary).tenantId).toBe('acme');
  // Both watchers have globex's summary (each socket delivers on its own) before their events are compared.
  await Promise.all(watchers.map((w) => w.waitFor(summaryOf('globex', callId), 60_000)));
  for (const w of watchers) {
    expect(tenantsOf(w.events())).toEqual(['globex']);
    expect(w.events().filter((e) => e.type === 'score').length).toBeGreaterThan(0);
  }
  expect(tenantsOf(acmeWatch.events().filter((e) => e.callId === callId))).toEqual(['acme']);
}

describe('a call id reused by another tenant under load', () => {
  it('native /stream: globex’s X starts 30 ms after acme’s X ended, gets only its own events; acme’s own retry is refused', async () => {
    await load('native');
    const { acmeSummary, acmeWatch, watchers } = await acmeEndsAbruptly('X-native', async () => {
      const retry = connect(app.urls.stream!, bearer(ACME));
      await retry.opened;
      retry.ws.send(nativeStart('X-native', 'acme'));
      expect(await retry.closed).toEqual({ code: 1013, reason: 'call-ending' });
      expect(retry.events()).toEqual([]);
    });
    const globex = await nativeCall(GLOBEX, 'globex', 'X-native', 3000);
    globex.ws.send(JSON.stringify({ type: 'stop' }));
    const summary = (await globex.waitFor(isSummary, 60_000)) as VoicePulseEvent;
    expect(summary.tenantId).toBe('globex');
    expect(tenantsOf(globex.events())).toEqual(['globex']);
    expect(globex.events().filter((e) => e.type === 'score').length).toBeGreaterThan(0);
    await expectApart('X-native', acmeSummary, acmeWatch, watchers);
    for (const c of [globex, acmeWatch, ...watchers]) c.ws.close();
  }, 120_000);

  it('gRPC StreamCall: globex’s X streams its own events only; acme’s retry is UNAVAILABLE call-ending', async () => {
    await load('grpc');
    const Service = voicePulseService();
    const client = new Service(
      app.urls.grpc!,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      streamCall(
        m: grpc.Metadata,
      ): grpc.ClientDuplexStream<
        unknown,
        { envelope: { tenantId: string }; score?: object; callSummary?: object }
      >;
    };
    const open = (token: string) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${token}`);
      const stream = client.streamCall(metadata);
      const events: { envelope: { tenantId: string }; score?: object; callSummary?: object }[] = [];
      const done = new Promise<grpc.ServiceError | null>((resolve) => {
        stream.on('data', (e) => events.push(e));
        stream.on('end', () => resolve(null));
        stream.on('error', resolve);
      });
      return { stream, events, done };
    };
    const start = (tenant: string) => ({
      start: {
        callId: 'X-grpc',
        tenant,
        codec: 'CODEC_PCM16',
        sampleRate: 8000,
        channels: ['SPEAKER_CUSTOMER'],
      },
    });
    const { acmeSummary, acmeWatch, watchers } = await acmeEndsAbruptly('X-grpc', async () => {
      const retry = open(ACME);
      retry.stream.write(start('acme'));
      const refused = await retry.done;
      expect(refused && { code: grpc.status[refused.code], details: refused.details }).toEqual({
        code: 'UNAVAILABLE',
        details: 'call X-grpc is still ending; start it again once its summary is out',
      });
      expect(retry.events).toEqual([]);
    });
    const globex = open(GLOBEX);
    globex.stream.write(start('globex'));
    globex.stream.write({ chunk: { audio: pcm(3000, 3) } });
    globex.stream.write({ stop: {} });
    expect(await globex.done).toBeNull();
    expect(globex.events.at(-1)?.callSummary).toBeDefined();
    expect(globex.events.filter((e) => e.score).length).toBeGreaterThan(0);
    expect(tenantsOf(globex.events.map((e) => e.envelope))).toEqual(['globex']);
    await expectApart('X-grpc', acmeSummary, acmeWatch, watchers);
    client.close();
    for (const c of [acmeWatch, ...watchers]) c.ws.close();
  }, 120_000);

  it('Twilio: globex’s X is admitted at once and its watchers see only it; acme’s retry is refused with call-ending', async () => {
    await load('twilio');
    const call = (tenant: string, token: string) => ({
      callSid: 'X-twilio',
      streamSid: `MZ-${tenant}`,
      params: { tenant, token },
    });
    const { acmeSummary, acmeWatch, watchers } = await acmeEndsAbruptly('X-twilio', async () => {
      const retry = connect(app.urls.twilio!, {});
      await retry.opened;
      retry.ws.send(startMessage(call('acme', ACME)));
      expect(await retry.closed).toEqual({ code: 1013, reason: 'call-ending' });
    });
    const globex = connect(app.urls.twilio!, {});
    await globex.opened;
    const globexCall = call('globex', GLOBEX);
    globex.ws.send(startMessage(globexCall));
    for (const m of mediaMessages(globexCall, 'inbound', voiced(3000, { seed: 5 }))) globex.ws.send(m);
    globex.ws.send(stopMessage(globexCall));
    await expectApart('X-twilio', acmeSummary, acmeWatch, watchers);
    for (const c of [globex, acmeWatch, ...watchers]) c.ws.close();
  }, 120_000);

  it('AudioHook: globex’s conversation is opened at once and scored as globex’s; acme’s retry gets disconnect call-ending', async () => {
    await load('audiohook');
    const conversation = '55555555-6666-4777-8888-999999999999';
    const genesys = async (tenant: string, apiKey: string, sessionId: string) => {
      const { c, send } = await audiohookSession(app, { apiKey, sessionId });
      send('open', {
        organizationId: ORG,
        conversationId: conversation,
        participant: { id: '33333333-4444-4555-8666-777777777777', ani: '', aniName: '', dnis: '' },
        media: [{ type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 }],
        customConfig: { tenant },
      });
      return { c, send };
    };
    const { acmeSummary, acmeWatch, watchers } = await acmeEndsAbruptly(conversation, async () => {
      const retry = await genesys('acme', ACME, '00000000-0000-4000-8000-0000000000a2');
      const disconnect = (await retry.c.waitFor((m) => (m as { type: string }).type === 'disconnect')) as {
        parameters: { reason: string; info: string };
      };
      expect(disconnect.parameters).toEqual({
        reason: 'error',
        info: `call ${conversation} is still ending; start it again once its summary is out`,
      });
      retry.send('close', { reason: 'error' });
      expect(await retry.c.closed).toEqual({ code: 1013, reason: 'call-ending' });
    });
    const globex = await genesys('globex', GLOBEX, '00000000-0000-4000-8000-0000000000a1');
    await globex.c.waitFor((m) => (m as { type: string }).type === 'opened');
    globex.c.ws.send(encodeUlaw(toPcm16(voiced(3000, { seed: 9 }))));
    globex.send('close', { reason: 'end' });
    await expectApart(conversation, acmeSummary, acmeWatch, watchers);
    for (const c of [globex.c, acmeWatch, ...watchers]) c.ws.close();
  }, 120_000);
});
