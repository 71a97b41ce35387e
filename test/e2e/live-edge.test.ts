// The live edge under attack (issue: trustworthy live edge): memory amplification through AudioHook
// gaps, unauthenticated sockets that never leave, connection caps, /metrics and /healthz exposure,
// one tenant taking every slot, admission by scoring lag, and the smaller defects (lowercase bearer
// scheme on the upgrade, one failure counted once per socket). Each case is a regression test.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mediaMessages, startMessage, stopMessage } from '../../clients/twilio-client.ts';
import { ORG } from '../../core/auth/testing/audiohook.ts';
import { voiced } from '../../core/streaming/testing/synthetic.ts';
import type { App } from '../../services/live/app.ts';
import { DEFAULT_LIMITS, type GatewayLimits } from '../../services/live/ingress/session.ts';
import { audiohookSession } from '../testing/audiohook.ts';
import { type Client, connect, isSummary, TOKEN, tempModelDir, testApp } from '../testing/e2e.ts';

const ACME = 'acme-edge-token-3c9f1a7b5e';
const GLOBEX = 'globex-edge-token-8d2e6f0a4b';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const model = tempModelDir();
afterAll(() => model.remove());

/** An app for one case, stopped after it. */
async function withApp(
  limits: Partial<GatewayLimits>,
  run: (app: App) => Promise<void>,
  over: Parameters<typeof testApp>[1] = {},
) {
  const app = await testApp(model.dir, {
    tenantTokens: { acme: ACME, globex: GLOBEX },
    limits: { ...DEFAULT_LIMITS, maxScoringLagMs: 0, maxScoringLoad: 0, ...limits },
    ...over,
  });
  try {
    await run(app);
  } finally {
    await app.stop();
  }
}

const twilio = (n: string, tenant = 'acme', token = ACME) => ({
  callSid: `CA-edge-${n}`,
  streamSid: `MZ-${n}`,
  params: { tenant, token },
});

async function count(app: App, reason: string, path?: string): Promise<number> {
  const metric = app.registry.getSingleMetric('voicepulse_ws_rejections_total');
  const values = (await metric?.get())?.values ?? [];
  return values
    .filter((v) => v.labels.reason === reason && (path === undefined || v.labels.path === path))
    .reduce((n, v) => n + v.value, 0);
}

describe('memory amplification through AudioHook gaps', () => {
  it('600 `discarded` of PT60S on one socket raise RSS by < 50 MB and /healthz answers within 100 ms throughout', async () => {
    await withApp(
      { idleTimeoutMs: 120_000 },
      async (app) => {
        // Warm up first: the scoring thread has loaded its model and scored a call, the HTTP client is connected.
        const warm = connect(app.urls.stream!);
        await warm.opened;
        warm.ws.send(
          JSON.stringify({
            type: 'start',
            callId: 'warm',
            tenant: 'acme',
            codec: 'mulaw',
            sampleRate: 8000,
            channels: ['customer'],
          }),
        );
        await warm.waitFor((m) => (m as { type: string }).type === 'started');
        warm.ws.send(Buffer.alloc(24_000, 0x55));
        warm.ws.send(JSON.stringify({ type: 'stop' }));
        await warm.waitFor(isSummary);
        await (await fetch(`${app.urls.http}/healthz`)).text();
        const { c: ws, send } = await audiohookSession(app, { apiKey: TOKEN });
        send('open', {
          organizationId: ORG,
          conversationId: '66666666-7777-4888-8999-aaaaaaaaaaaa',
          participant: { id: '33333333-4444-4555-8666-777777777777', ani: '', aniName: '', dnis: '' },
          media: [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }],
        });
        await ws.waitFor((m) => (m as { type: string }).type === 'opened');
        global.gc?.();
        const rssBefore = process.memoryUsage().rss;
        const healthMs: number[] = [];
        let sending = true;
        const probe = (async () => {
          while (sending) {
            const t0 = performance.now();
            const res = await fetch(`${app.urls.http}/healthz`);
            await res.text();
            healthMs.push(performance.now() - t0);
            await sleep(20);
          }
        })();
        for (let i = 0; i < 600; i++) {
          send('discarded', { start: `PT${i * 60}S`, discarded: 'PT60S' }, `PT${(i + 1) * 60}S`);
          if (i % 50 === 49) await sleep(5);
        }
        send('ping', {});
        await ws.waitFor((m) => (m as { type: string }).type === 'pong');
        await sleep(500);
        sending = false;
        await probe;
        const grownMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
        process.stderr.write(
          `live-edge: RSS +${grownMb.toFixed(1)} MB after 600 discarded; /healthz max ${Math.max(...healthMs).toFixed(1)} ms over ${healthMs.length} probes: ${healthMs.map((t) => t.toFixed(0)).join(' ')}\n`,
        );
        expect(grownMb).toBeLessThan(50);
        expect(healthMs.length).toBeGreaterThan(3);
        expect(Math.max(...healthMs)).toBeLessThan(100);
        ws.ws.close();
      },
      { threads: 1 },
    );
  }, 60_000);
});

describe('unauthenticated sockets', () => {
  it('/twilio sockets that never authenticate are closed at the auth deadline however chatty', async () => {
    await withApp({ authTimeoutMs: 1000 }, async (app) => {
      const sockets = Array.from({ length: 20 }, () => connect(app.urls.twilio!, {}));
      await Promise.all(sockets.map((s) => s.opened));
      const chatter = setInterval(() => {
        for (const s of sockets)
          if (s.ws.readyState === WebSocket.OPEN)
            s.ws.send(JSON.stringify({ event: 'connected', protocol: 'Call' }));
      }, 200);
      try {
        const t0 = Date.now();
        const closed = await Promise.all(sockets.map((s) => s.closed));
        expect(Date.now() - t0).toBeLessThan(2500);
        expect(new Set(closed.map((c) => `${c.code} ${c.reason}`))).toEqual(new Set(['1008 auth-timeout']));
      } finally {
        clearInterval(chatter);
      }
    });
  });
});

describe('connection caps', () => {
  it('refuses upgrades past the per-address and global caps with HTTP 503, and frees slots on close', async () => {
    await withApp({ maxConnections: 6, maxConnectionsPerAddress: 4 }, async (app) => {
      const held = Array.from({ length: 4 }, () => connect(`${app.urls.watch}?tenant=acme`, bearer(ACME)));
      await Promise.all(held.map((c) => c.opened));
      const fifth = connect(`${app.urls.watch}?tenant=acme`, bearer(ACME));
      await expect(fifth.opened).rejects.toThrow('HTTP 503');
      expect(await count(app, 'connection-limit', '/watch')).toBe(1);
      held[0]!.ws.close();
      await held[0]!.closed;
      await sleep(50);
      const again = connect(`${app.urls.watch}?tenant=acme`, bearer(ACME));
      await again.opened;
      for (const c of [again, ...held]) c.ws.close();
    });
  });
});

describe('/metrics and /healthz', () => {
  it('/metrics needs the operator token on the main port; the metrics listener serves both without one', async () => {
    await withApp(
      {},
      async (app) => {
        const main = app.urls.http!;
        expect((await fetch(`${main}/metrics`)).status).toBe(401);
        expect((await fetch(`${main}/metrics`, { headers: bearer(ACME) })).status).toBe(401);
        const metrics = await (await fetch(`${main}/metrics`, { headers: bearer(TOKEN) })).text();
        expect(metrics).toContain('voicepulse_active_calls');
        expect(await (await fetch(`${main}/healthz`)).json()).toEqual({ ok: true });
        expect(await (await fetch(`${main}/healthz`, { headers: bearer(TOKEN) })).json()).toEqual({
          ok: true,
          activeCalls: 0,
        });
        // The metrics listener: for Prometheus and probes, on a private network.
        expect(app.urls.metrics).not.toContain(main);
        expect(await (await fetch(app.urls.metrics!)).text()).toContain('voicepulse_scoring_lag_seconds');
        expect(await (await fetch(app.urls.metrics!.replace('/metrics', '/healthz'))).json()).toEqual({
          ok: true,
          activeCalls: 0,
        });
        expect((await fetch(app.urls.metrics!.replace('/metrics', '/api/calls'))).status).toBe(404);
      },
      { metricsListener: { host: '127.0.0.1', port: 0 } },
    );
  });
});

describe('admission', () => {
  it("one tenant cannot take every slot: past its policy's quota it is refused, others still get in", async () => {
    await withApp(
      { maxConcurrentCalls: 10 },
      async (app) => {
        const open: Client[] = [];
        for (let i = 0; i < 2; i++) {
          const c = connect(app.urls.twilio!, {});
          await c.opened;
          c.ws.send(startMessage(twilio(`q${i}`)));
          open.push(c);
        }
        await sleep(100);
        const third = connect(app.urls.twilio!, {});
        await third.opened;
        third.ws.send(startMessage(twilio('q2')));
        expect(await third.closed).toEqual({ code: 1013, reason: 'tenant-call-limit' });
        const other = connect(app.urls.twilio!, {});
        await other.opened;
        other.ws.send(startMessage(twilio('g0', 'globex', GLOBEX)));
        await sleep(200);
        expect(other.ws.readyState).toBe(WebSocket.OPEN);
        for (const c of [other, ...open]) c.ws.close();
      },
      {
        policies: {
          acme: {
            agentEmotionScoring: false,
            alerts: undefined as never,
            webhooks: [],
            maxConcurrentCalls: 2,
          },
        },
      },
    );
  });

  it('refuses new calls with 1013 overloaded while scoring lags past the bound; the admitted call is scored to its summary', async () => {
    await withApp({ maxScoringLagMs: 1 }, async (app) => {
      const call = twilio('lag');
      const watcher = connect(`${app.urls.watch}?callId=${call.callSid}`, bearer(ACME));
      const first = connect(app.urls.twilio!, {});
      await Promise.all([watcher.opened, first.opened]);
      first.ws.send(startMessage(call));
      const media = mediaMessages(call, 'inbound', voiced(4000));
      for (const m of media.slice(0, 150)) first.ws.send(m);
      await watcher.waitFor((m) => (m as { type: string }).type === 'score');
      const late = connect(app.urls.twilio!, {});
      await late.opened;
      late.ws.send(startMessage(twilio('late')));
      expect(await late.closed).toEqual({ code: 1013, reason: 'overloaded' });
      for (const m of media.slice(150)) first.ws.send(m);
      first.ws.send(stopMessage(call));
      const summary = (await watcher.waitFor(isSummary)) as {
        customer: { emotion: { scoredWindows: number } };
      };
      expect(summary.customer.emotion.scoredWindows).toBeGreaterThan(0);
      const lag = await (await fetch(app.urls.metrics!, { headers: bearer(TOKEN) })).text();
      expect(lag).toMatch(/^voicepulse_scoring_lag_seconds \d/m);
      for (const c of [first, watcher]) c.ws.close();
    });
  });
});

describe('smaller defects', () => {
  it('the upgrade accepts the bearer scheme in any case, as REST does', async () => {
    await withApp({}, async (app) => {
      for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
        const c = connect(`${app.urls.watch}?tenant=acme`, { authorization: `${scheme} ${ACME}` });
        await c.opened;
        c.ws.close();
      }
    });
  });

  it('a failed start followed by media is logged and counted once per socket', async () => {
    await withApp({}, async (app) => {
      const sockets = Array.from({ length: 5 }, () => connect(app.urls.twilio!, {}));
      await Promise.all(sockets.map((s) => s.opened));
      for (const [i, s] of sockets.entries()) {
        const call = twilio(`bad${i}`, 'globex', ACME);
        s.ws.send(startMessage(call));
        for (const m of mediaMessages(call, 'inbound', voiced(100))) s.ws.send(m);
      }
      await Promise.all(sockets.map((s) => s.closed));
      expect(await count(app, 'tenant-forbidden', '/twilio')).toBe(5);
    });
  });
});
