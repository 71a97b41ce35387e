// Protocol conformance over real sockets: a client that sends exactly what Twilio documents, and a
// Genesys AudioHook client that signs its upgrade as Genesys does (services/live/README.md,
// Conformance). The adapters' unit tests cover every message and error path; these check the
// wire: headers, signatures, close codes and the close transaction.
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPcm16 } from '../../clients/twilio-client.ts';
import { encodeUlaw } from '../../core/audio/g711.ts';
import { audiohookHeaders, ORG } from '../../core/auth/testing/audiohook.ts';
import { voiced } from '../../core/streaming/testing/synthetic.ts';
import type { App } from '../../services/live/app.ts';
import { NULL_UUID } from '../../services/live/ingress/audiohook.ts';
import { DEFAULT_LIMITS } from '../../services/live/ingress/session.ts';
import { audiohookSession } from '../testing/audiohook.ts';
import { type Client, connect, isSummary, TOKEN, tempModelDir, testApp } from '../testing/e2e.ts';

const TWILIO_AUTH_TOKEN = '9f4e2c1a8b7d6e5f4a3b2c1d0e9f8a7b';
const API_KEY = 'QWNtZUdlbmVzeXNBdWRpb0hvb2tLZXk=';
const SECRET = Buffer.from('TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=', 'base64');
const model = tempModelDir();
let app: App;
let host: string;

beforeAll(async () => {
  app = await testApp(model.dir, {
    twilioAuthTokens: { acme: TWILIO_AUTH_TOKEN },
    audiohookCredentials: { [API_KEY]: { tenant: 'acme', secret: SECRET } },
    limits: { ...DEFAULT_LIMITS, maxScoringLagMs: 0, maxScoringLoad: 0, idleTimeoutMs: 10_000 },
  });
  host = new URL(app.urls.http!).host;
});
afterAll(async () => {
  await app.stop();
  model.remove();
});

const watchAcme = async () => {
  const w = connect(`${app.urls.watch}?tenant=acme`);
  await w.opened;
  return w;
};
const metric = async (name: string, labels: Record<string, string>) => {
  const text = await (
    await fetch(app.urls.metrics!, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).text();
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${selector}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('Twilio Media Streams, as Twilio documents the messages', () => {
  const callSid = 'CA0123456789abcdef0123456789abcdef';
  const streamSid = 'MZ0123456789abcdef0123456789abcdef';
  const accountSid = 'AC0123456789abcdef0123456789abcdef';
  const signature = (url: string, authToken = TWILIO_AUTH_TOKEN) =>
    createHmac('sha1', authToken).update(url).digest('base64');

  it('a signed stream with both tracks, chunks numbered across the stream, dtmf, mark and stop is scored as one call', async () => {
    const watcher = await watchAcme();
    const lostBefore = await metric('voicepulse_media_lost_chunks_total', {});
    const ws = connect(app.urls.twilio!, { 'x-twilio-signature': signature(`wss://${host}/twilio`) });
    await ws.opened;
    let sequenceNumber = 0;
    const send = (m: object) =>
      ws.ws.send(JSON.stringify({ ...m, sequenceNumber: String(++sequenceNumber) }));
    ws.ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    send({
      event: 'start',
      start: {
        accountSid,
        streamSid,
        callSid,
        tracks: ['inbound', 'outbound'],
        customParameters: { agent: 'agent-7' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid,
    });
    const tracks = {
      inbound: encodeUlaw(toPcm16(voiced(4000, { seed: 1 }))),
      outbound: encodeUlaw(toPcm16(voiced(4000, { seed: 2, f0: 115 }))),
    };
    let chunk = 0;
    for (let i = 0; i < tracks.inbound.length; i += 160)
      for (const track of ['inbound', 'outbound'] as const)
        send({
          event: 'media',
          media: {
            track,
            chunk: String(++chunk),
            timestamp: String(i / 8),
            payload: Buffer.from(tracks[track].subarray(i, i + 160)).toString('base64'),
          },
          streamSid,
        });
    send({ event: 'dtmf', streamSid, dtmf: { track: 'inbound_track', digit: '5' } });
    send({ event: 'mark', streamSid, mark: { name: 'my label' } });
    send({ event: 'stop', streamSid, stop: { accountSid, callSid } });
    const summary = (await watcher.waitFor(
      (m) => isSummary(m) && (m as { callId: string }).callId === callSid,
    )) as { tenantId: string; agentId: string; customer: { talk: { talkMs: number } } };
    // The signature made it acme's; no chunk counts as lost; nothing was refused.
    expect(summary).toMatchObject({ tenantId: 'acme', agentId: 'agent-7' });
    expect(summary.customer.talk.talkMs).toBeGreaterThan(2000);
    expect(await metric('voicepulse_media_lost_chunks_total', {})).toBe(lostBefore);
    expect(ws.texts).toEqual([]);
    ws.ws.close();
    watcher.ws.close();
  });

  it('refuses an upgrade whose X-Twilio-Signature no configured auth token made', async () => {
    const forged = connect(app.urls.twilio!, {
      'x-twilio-signature': signature(`wss://${host}/twilio`, 'ffffffffffffffffffffffffffffffff'),
    });
    await expect(forged.opened).rejects.toThrow('HTTP 401');
    const otherUrl = connect(app.urls.twilio!, { 'x-twilio-signature': signature(`wss://${host}/stream`) });
    await expect(otherUrl.opened).rejects.toThrow('HTTP 401');
  });
});

describe('Genesys AudioHook, as Genesys connects', () => {
  const conversation = '77777777-8888-4999-8aaa-bbbbbbbbbbbb';
  const participant = { id: '33333333-4444-4555-8666-777777777777', ani: '', aniName: '', dnis: '' };

  /** A signed Genesys session: its socket, a sender numbering messages, and the server's replies by type. */
  async function genesys(sessionId: string, over: Partial<Parameters<typeof audiohookHeaders>[0]> = {}) {
    const { c, send } = await audiohookSession(app, {
      host,
      apiKey: API_KEY,
      secret: SECRET,
      sessionId,
      ...over,
    });
    const reply = (type: string) =>
      c.waitFor((m) => (m as { type: string }).type === type) as Promise<{
        parameters: Record<string, unknown>;
      }>;
    return { c, send, reply };
  }
  const open = (conversationId = conversation) => ({
    organizationId: ORG,
    conversationId,
    participant,
    media: [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }],
    customConfig: { tenant: 'acme' },
  });

  it('a signed session: open, audio, pause and resume, discarded, update, ping, close; scored as the key’s tenant', async () => {
    const watcher = await watchAcme();
    const g = await genesys('00000000-0000-4000-8000-00000000c001');
    g.send('open', { ...open(), supportedLanguages: true });
    expect((await g.reply('opened')).parameters).toEqual({
      startPaused: false,
      media: open().media,
      supportedLanguages: [],
    });
    const stereo = (ms: number) => {
      const a = encodeUlaw(toPcm16(voiced(ms, { seed: 3 })));
      const out = new Uint8Array(2 * a.length);
      for (let i = 0; i < a.length; i++) out[2 * i] = a[i]!;
      return out;
    };
    g.c.ws.send(stereo(3000));
    g.send('paused', {}, 'PT3S');
    await sleep(1000);
    g.send('resumed', { start: 'PT3S', discarded: 'PT1S' }, 'PT4S');
    g.c.ws.send(stereo(1000));
    g.send('discarded', { start: 'PT5S', discarded: 'PT0.5S' }, 'PT5.5S');
    g.send('update', { language: 'en-US' });
    await g.reply('updated');
    g.send('ping', {});
    await g.reply('pong');
    g.send('close', { reason: 'end' });
    await g.reply('closed');
    const summary = (await watcher.waitFor(
      (m) => isSummary(m) && (m as { callId: string }).callId === conversation,
    )) as {
      tenantId: string;
      durationMs: number;
    };
    expect(summary.tenantId).toBe('acme');
    // The timeline follows `position`: audio, the hold and the discarded span.
    expect(summary.durationMs).toBe(5500);
    g.c.ws.close();
    watcher.ws.close();
  });

  it('refuses unsigned, badly signed and replayed upgrades of a configured key', async () => {
    const refused = (headers: Record<string, unknown>) =>
      connect(app.urls.audiohook!, headers as Record<string, string>).opened;
    await expect(refused(audiohookHeaders({ host, target: '/audiohook', apiKey: API_KEY }))).rejects.toThrow(
      'HTTP 401',
    );
    await expect(
      refused(
        audiohookHeaders({
          host,
          target: '/audiohook',
          apiKey: API_KEY,
          secret: Buffer.from('a made-up secret, 32 bytes long!'),
        }),
      ),
    ).rejects.toThrow('HTTP 401');
    const once = audiohookHeaders({ host, target: '/audiohook', apiKey: API_KEY, secret: SECRET });
    const first = connect(app.urls.audiohook!, once as Record<string, string>);
    await first.opened;
    await expect(refused(once)).rejects.toThrow('HTTP 401');
    first.ws.close();
    const { 'audiohook-session-id': _, ...noSession } = audiohookHeaders({
      host,
      target: '/audiohook',
      apiKey: TOKEN,
    });
    await expect(refused(noSession)).rejects.toThrow('HTTP 400');
  });

  it('on an error: disconnect, then closed in answer to the client’s close, then the socket closes', async () => {
    const g = await genesys('00000000-0000-4000-8000-00000000c002');
    g.send('open', open('77777777-8888-4999-8aaa-bbbbbbbbbbbc'));
    await g.reply('opened');
    g.c.ws.send(new Uint8Array(3)); // not whole stereo frames
    const disconnect = await g.reply('disconnect');
    expect(disconnect.parameters).toMatchObject({ reason: 'error' });
    await sleep(100);
    expect(g.c.ws.readyState).toBe(g.c.ws.OPEN);
    g.send('close', { reason: 'error' });
    await g.reply('closed');
    expect(await g.c.closed).toEqual({ code: 1007, reason: 'bad-frame' });
    expect(g.c.texts.map((t) => JSON.parse(t).type)).toEqual(['opened', 'disconnect', 'closed']);
  });

  it('answers concurrent connection probes and never makes them calls', async () => {
    const watcher = await watchAcme();
    const probes = await Promise.all(
      ['00000000-0000-4000-8000-00000000c003', '00000000-0000-4000-8000-00000000c004'].map((id) =>
        genesys(id),
      ),
    );
    for (const p of probes)
      p.send('open', { ...open(NULL_UUID), participant: { ...participant, id: NULL_UUID } });
    await Promise.all(probes.map((p) => p.reply('opened')));
    for (const p of probes) p.send('close', { reason: 'end' });
    await Promise.all(probes.map((p) => p.reply('closed')));
    await sleep(300);
    expect(watcher.events()).toEqual([]);
    for (const c of [watcher, ...probes.map((p) => p.c)] as Client[]) c.ws.close();
  });
});
