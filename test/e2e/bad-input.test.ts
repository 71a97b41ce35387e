// Every kind of bad input gets a clear error and close code, and a healthy call running alongside
// is unaffected.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaMessages, startMessage, stopMessage } from '../../clients/twilio-client.ts';
import type { CallSummaryEvent } from '../../core/events/schema.ts';
import { voiced } from '../../core/streaming/testing/synthetic.ts';
import type { App } from '../../services/live/app.ts';
import { DEFAULT_LIMITS } from '../../services/live/ingress/session.ts';
import { MAX_START_FAILURES } from '../../services/live/scoring/backend.ts';
import { type Client, connect, isSummary, TOKEN, tempModelDir, testApp } from '../testing/e2e.ts';

const ACME_TOKEN = 'acme-token-0123456789';
const model = tempModelDir();
let app: App;
beforeAll(async () => {
  app = await testApp(model.dir, {
    limits: {
      ...DEFAULT_LIMITS,
      maxFrameBytes: 4096,
      maxConcurrentCalls: 3,
      idleTimeoutMs: 1500,
      maxScoringLagMs: 0,
      maxScoringLoad: 0,
    },
    tenantTokens: { acme: ACME_TOKEN },
  });
});
afterAll(async () => {
  await app.stop();
  model.remove();
});

const twilioCall = (n: string) => ({
  callSid: `CA-bad-${n}`,
  streamSid: `MZ-${n}`,
  params: { tenant: 't', token: TOKEN },
});

/** Opens a socket, sends `messages`, and returns how the server closed it and its last error message. */
async function expectClose(c: Client, messages: Array<string | Uint8Array>, code: number, reason: string) {
  await c.opened;
  for (const m of messages) c.ws.send(m);
  const closed = await c.closed;
  expect(closed).toEqual({ code, reason });
  const error = JSON.parse(c.texts.at(-1) ?? '{}');
  expect(error.type === 'error' || error.type === 'disconnect').toBe(true);
  return error;
}

describe('per-tenant tokens', () => {
  it('stream and watch only their own tenant', async () => {
    const acme = { authorization: `Bearer ${ACME_TOKEN}` };
    const start = {
      type: 'start',
      callId: 'tenant-1',
      codec: 'pcm16',
      sampleRate: 8000,
      channels: ['customer'],
    };
    await expectClose(
      connect(app.urls.stream!, acme),
      [JSON.stringify({ ...start, tenant: 'globex' })],
      1008,
      'tenant-forbidden',
    );
    const other = connect(`${app.urls.watch}?tenant=globex`, acme);
    expect(await other.closed).toEqual({ code: 1008, reason: 'tenant-forbidden' });
    await expectClose(
      connect(app.urls.twilio!, {}),
      [startMessage({ ...twilioCall('t1'), params: { tenant: 'globex', token: ACME_TOKEN } })],
      1008,
      'tenant-forbidden',
    );
    const own = connect(app.urls.stream!, acme);
    await own.opened;
    own.ws.send(JSON.stringify({ ...start, tenant: 'acme' }));
    await own.waitFor((m) => (m as { type: string }).type === 'started');
    own.ws.send(JSON.stringify({ type: 'stop' }));
    expect((await own.closed).code).toBe(1000);
  });
});

describe('bad input', () => {
  it('is refused with a clear code while a healthy call carries on', async () => {
    // The healthy call: streams throughout, must end with a full summary.
    const good = twilioCall('good');
    const ok = connect(app.urls.twilio!);
    const watcher = connect(`${app.urls.watch}?callId=${good.callSid}`);
    await Promise.all([ok.opened, watcher.opened]);
    ok.ws.send(startMessage(good));
    const media = mediaMessages(good, 'inbound', voiced(5000));
    const half = media.length / 2;
    for (const m of media.slice(0, half)) ok.ws.send(m);

    const tw = () => connect(app.urls.twilio!);
    const st = () => connect(app.urls.stream!);
    const call = twilioCall('x');
    await expectClose(tw(), ['{not json'], 1007, 'malformed-json');
    await expectClose(tw(), [JSON.stringify({ streamSid: 'MZ-1' })], 1003, 'unknown-event');
    await expectClose(
      tw(),
      [
        startMessage(call),
        JSON.stringify({
          event: 'media',
          streamSid: call.streamSid,
          media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '@@@!' },
        }),
      ],
      1007,
      'bad-base64',
    );
    await expectClose(
      tw(),
      [
        startMessage(twilioCall('y')),
        mediaMessages({ ...twilioCall('y'), streamSid: 'MZ-other' }, 'inbound', voiced(20))[0]!,
      ],
      4404,
      'unknown-stream',
    );
    await expectClose(
      tw(),
      [startMessage(call).replace('audio/x-mulaw', 'audio/x-l16')],
      1003,
      'unsupported-codec',
    );
    await expectClose(tw(), [mediaMessages(call, 'inbound', voiced(20))[0]!], 1007, 'media-before-start');
    await expectClose(
      connect(app.urls.twilio!, {}),
      [startMessage({ ...call, params: { token: 'wrong' } })],
      1008,
      'unauthorized',
    );
    await expectClose(tw(), [startMessage(good)], 4409, 'duplicate-call');
    const start = {
      type: 'start',
      callId: 'n1',
      tenant: 't',
      codec: 'opus',
      sampleRate: 8000,
      channels: ['customer'],
    };
    await expectClose(st(), [JSON.stringify(start)], 1003, 'unsupported-codec');
    await expectClose(st(), [new Uint8Array(320)], 4404, 'audio-before-start');
    await expectClose(
      st(),
      [JSON.stringify({ ...start, codec: 'pcm16' }), new Uint8Array(321)],
      1007,
      'bad-frame',
    );
    // Over maxPayload: ws closes with 1009 before any handler sees it.
    const big = st();
    await big.opened;
    big.ws.send(new Uint8Array(10_000));
    expect((await big.closed).code).toBe(1009);
    // No token at all: refused at the upgrade.
    const anon = connect(app.urls.stream!, {});
    await expect(anon.opened).rejects.toThrow('HTTP 401');
    const watchNothing = connect(app.urls.watch!);
    expect((await watchNothing.closed).code).toBe(1008);

    for (const m of media.slice(half)) ok.ws.send(m);
    ok.ws.send(stopMessage(good));
    const summary = (await watcher.waitFor(isSummary)) as CallSummaryEvent;
    expect(summary.customer.emotion?.scoredWindows).toBe(4);
    expect(watcher.events().filter((e) => e.type === 'score').length).toBe(4);
    const metrics = await (
      await fetch(app.urls.metrics!, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(metrics).toMatch(/voicepulse_ws_rejections_total\{path="\/twilio",reason="malformed-json"\} 1/);
    ok.ws.close();
    watcher.ws.close();
  });

  it('limits concurrent calls and closes idle sockets', async () => {
    const open: Client[] = [];
    for (let i = 0; i < 3; i++) {
      const c = connect(app.urls.twilio!);
      await c.opened;
      c.ws.send(startMessage(twilioCall(`lim${i}`)));
      open.push(c);
    }
    await new Promise((r) => setTimeout(r, 100));
    await expectClose(connect(app.urls.twilio!), [startMessage(twilioCall('lim3'))], 1013, 'call-limit');
    // The three open calls send nothing more: each is closed by the idle timeout.
    for (const c of open) expect(await c.closed).toEqual({ code: 4408, reason: 'idle-timeout' });
  });
});

describe('a model that cannot load', () => {
  it('refuses calls with a clear code and fails /healthz instead of respawning scoring threads forever', async () => {
    const broken = tempModelDir();
    writeFileSync(join(broken.dir, 'weights.bin'), new Uint8Array(8)); // truncated
    const down = await testApp(broken.dir, { threads: 1 });
    try {
      const health = (headers = {}) => fetch(`${down.urls.http}/healthz`, { headers });
      const until = Date.now() + 60_000;
      while ((await health()).status === 200 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 100));
      // Without a token: down, nothing more; the operator also learns why.
      expect(await (await health()).json()).toEqual({ ok: false });
      const res = await health({ authorization: `Bearer ${TOKEN}` });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ok: boolean; failure: string };
      expect(body.ok).toBe(false);
      expect(body.failure).toMatch(
        new RegExp(`failed to start ${MAX_START_FAILURES} times in a row: .*too short`),
      );
      const error = await expectClose(
        connect(down.urls.twilio!),
        [startMessage(twilioCall('no-model'))],
        1013,
        'scoring-unavailable',
      );
      expect(error.message).toMatch(/scoring is unavailable/);
    } finally {
      await down.stop();
      broken.remove();
    }
  }, 90_000);
});
