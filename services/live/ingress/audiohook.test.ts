import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toPcm16 } from '../../../clients/twilio-client.ts';
import { encodeUlaw } from '../../../core/audio/g711.ts';
import { audiohookHeaders, ORG, SESSION } from '../../../core/auth/testing/audiohook.ts';
import type { Principal } from '../../../core/auth/tokens.ts';
import { saveModel } from '../../../core/model/format.ts';
import { seededModel } from '../../../core/model/testing/tdnn.ts';
import { DEFAULT_SETTINGS } from '../../../core/streaming/config.ts';
import { voiced } from '../../../core/streaming/testing/synthetic.ts';
import { createBackend } from '../scoring/backend.ts';
import type { EngineOutput } from '../scoring/engine.ts';
import { audiohookUpgrade, NULL_UUID } from './audiohook.ts';
import { CallRegistry } from './calls.ts';
import { RECONNECT_GRACE_MS } from './continuations.ts';
import { CLOSE_TRANSACTION_MS, GAP_SLACK_MS } from './session.ts';
import { OPERATOR, socketCall } from './testing/calls.ts';
import { OPERATOR_TOKEN, testIngress } from './testing/fakes.ts';

const CONV = '22222222-3333-4444-8555-666666666666';
const PCMU_STEREO = { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 };
const PARTICIPANT = { id: '33333333-4444-4555-8666-777777777777', ani: '+1555', aniName: 'A', dnis: '+1800' };
const OPEN = {
  organizationId: ORG,
  conversationId: CONV,
  participant: PARTICIPANT,
  media: [PCMU_STEREO],
  customConfig: { tenant: 'acme', agent: 'agent-1', queue: 'billing' },
};
const upgradeOf = (sessionId = SESSION) => ({
  headers: audiohookHeaders({ host: 'x', target: '/audiohook', apiKey: OPERATOR_TOKEN, sessionId }),
  target: '/audiohook',
});

/** A Genesys client on a session: numbers its messages as the protocol says unless told otherwise. */
function genesys(
  principal: Principal = OPERATOR,
  o: { sessionId?: string; ingress?: ReturnType<typeof testIngress> } = {},
) {
  const id = o.sessionId ?? SESSION;
  const t = socketCall(
    '/audiohook',
    principal,
    {},
    upgradeOf(id),
    o.ingress ?? testIngress({ idleTimeoutMs: 600_000 }),
  );
  let seq = 0;
  let serverseq = 0;
  const send = (type: string, parameters: object, over: object = {}) =>
    t.text(
      JSON.stringify({
        version: '2',
        id,
        type,
        seq: ++seq,
        serverseq,
        position: 'PT0S',
        parameters,
        ...over,
      }),
    );
  const replies = () => {
    const r = t.port.texts();
    serverseq = (r.at(-1)?.seq as number | undefined) ?? 0;
    return r;
  };
  const types = () => replies().map((r) => r.type);
  return { ...t, send, replies, types };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** One client message with the envelope fields a test does not vary (seq 1, serverseq 0, PT0S). */
const envelope = (fields: Record<string, unknown>) =>
  JSON.stringify({
    version: '2',
    id: SESSION,
    seq: 1,
    serverseq: 0,
    position: 'PT0S',
    parameters: {},
    ...fields,
  });

describe('AudioHook upgrade', () => {
  const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
  const KEY = 'QWNtZUF1ZGlvSG9va0FwaUtleQ==';
  const ingress = () => {
    const t = testIngress();
    t.ctx.auth.audiohookCredentials = { [KEY]: { tenant: 'acme', secret: SECRET } };
    return t.ctx;
  };
  const req = (o: Partial<Parameters<typeof audiohookHeaders>[0]> = {}) => ({
    headers: audiohookHeaders({
      host: 'voice.example.com',
      target: '/audiohook',
      apiKey: KEY,
      secret: SECRET,
      ...o,
    }),
    target: '/audiohook',
  });

  it('takes a signed API key as its tenant, once per nonce', () => {
    const ctx = ingress();
    const signed = req();
    expect(audiohookUpgrade(ctx, signed)).toEqual({ principal: { kind: 'tenant', tenantId: 'acme' } });
    expect(audiohookUpgrade(ctx, signed)).toEqual({
      status: 401,
      message: 'signature verification failed: nonce replayed',
    });
  });

  it('refuses a configured API key unsigned or badly signed, and missing Audiohook headers', () => {
    const ctx = ingress();
    expect(audiohookUpgrade(ctx, req({ secret: undefined }))).toMatchObject({ status: 401 });
    expect(audiohookUpgrade(ctx, req({ secret: Buffer.from('made-up secret, long enough') }))).toEqual({
      status: 401,
      message: 'signature verification failed: signature mismatch',
    });
    const { headers } = req();
    for (const name of ['audiohook-session-id', 'audiohook-organization-id', 'audiohook-correlation-id']) {
      const without = { ...headers };
      delete without[name];
      expect(audiohookUpgrade(ctx, { headers: without, target: '/audiohook' })).toMatchObject({
        status: 400,
      });
    }
    expect(audiohookUpgrade(ctx, req({ sessionId: 'not-a-uuid' }))).toMatchObject({ status: 400 });
  });

  it('judges any other X-API-KEY as a token', () => {
    const ctx = ingress();
    expect(audiohookUpgrade(ctx, upgradeOf())).toEqual({
      principal: { kind: 'operator', defaultTenant: 'default' },
    });
    expect(audiohookUpgrade(ctx, req({ apiKey: 'V3JvbmdBUElLZXlXcm9uZ0tleQ==', secret: undefined }))).toEqual(
      {
        status: 401,
        message: 'missing or wrong X-API-KEY',
      },
    );
  });
});

describe('AudioHook adapter', () => {
  it('open → opened with the first offer we decode; the call is named by the conversation and customConfig', () => {
    const g = genesys();
    g.send('open', {
      ...OPEN,
      media: [{ type: 'audio', format: 'L16', channels: ['external'], rate: 8000 }, PCMU_STEREO],
    });
    expect(g.replies()).toEqual([
      {
        version: '2',
        id: SESSION,
        type: 'opened',
        seq: 1,
        clientseq: 1,
        parameters: {
          startPaused: false,
          media: [{ type: 'audio', format: 'L16', channels: ['external'], rate: 8000 }],
        },
      },
    ]);
    expect(g.backend.started).toEqual([
      { callId: CONV, tenantId: 'acme', agentId: 'agent-1', queue: 'billing', customerId: '+1555' },
    ]);
  });

  it("names the customer by the participant's ANI, when Genesys gives one", () => {
    const g = genesys();
    g.send('open', OPEN);
    expect(g.backend.started[0]?.customerId).toBe('+1555');
    const h = genesys();
    h.send('open', { ...OPEN, participant: { ...PARTICIPANT, ani: '' } });
    expect(h.backend.started[0]).not.toHaveProperty('customerId');
  });

  it('falls back to the organization as tenant and ignores customConfig values that are not ids', () => {
    const g = genesys();
    g.send('open', { ...OPEN, customConfig: { tenant: '', agent: 42, queue: 'x'.repeat(129) } });
    expect(g.backend.started).toEqual([
      { callId: CONV, tenantId: ORG, agentId: null, queue: null, customerId: '+1555' },
    ]);
  });

  it('answers supportedLanguages when asked (we transcribe none)', () => {
    const g = genesys();
    g.send('open', { ...OPEN, supportedLanguages: true, language: 'en-US' });
    expect(g.replies()[0]?.parameters).toEqual({
      startPaused: false,
      media: [PCMU_STEREO],
      supportedLanguages: [],
    });
  });

  it('answers a connection probe and never makes it a call; also an open with no media', () => {
    for (const open of [
      { ...OPEN, conversationId: NULL_UUID, participant: { ...PARTICIPANT, id: NULL_UUID } },
      { ...OPEN, media: [] },
    ]) {
      const g = genesys();
      g.send('open', open);
      g.binary(encodeUlaw(Int16Array.from([1000, -1000])));
      g.send('close', { reason: 'end' });
      expect(g.types()).toEqual(['opened', 'closed']);
      expect(g.port.failed).toBeUndefined();
      expect(g.backend.started).toEqual([]);
    }
  });

  it('binary frames: interleaved PCMU or L16, external = customer, internal = agent', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.binary(encodeUlaw(Int16Array.from([1000, -1000, 2000, -2000])));
    expect(Array.from(g.backend.samples(CONV, 'customer'), (v) => Math.sign(v))).toEqual([1, 1]);
    expect(Array.from(g.backend.samples(CONV, 'agent'), (v) => Math.sign(v))).toEqual([-1, -1]);
    const l16 = genesys();
    l16.send('open', {
      ...OPEN,
      media: [{ type: 'audio', format: 'L16', channels: ['internal'], rate: 8000 }],
    });
    l16.binary(new Uint8Array(Int16Array.from([300, -300]).buffer));
    expect(Array.from(l16.backend.samples(CONV, 'agent'), (v) => v * 32768)).toEqual([300, -300]);
  });

  it('ping → pong, update → updated, each numbered and acknowledging the client’s seq', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('ping', { rtt: 'PT0.05S' });
    g.send('update', { language: 'en-US' });
    expect(g.replies().slice(1)).toEqual([
      { version: '2', id: SESSION, type: 'pong', seq: 2, clientseq: 2, parameters: {} },
      { version: '2', id: SESSION, type: 'updated', seq: 3, clientseq: 3, parameters: {} },
    ]);
  });

  it('follows position: a hold (paused → resumed) and a discarded span move the timeline, as silence', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.binary(new Uint8Array(2 * 8000)); // 1 s of stereo PCMU
    g.send('paused', {}, { position: 'PT1S' });
    vi.advanceTimersByTime(120_000);
    g.send('resumed', { start: 'PT1S', discarded: 'PT120S' }, { position: 'PT121S' });
    g.send('discarded', { start: 'PT121S', discarded: 'PT0.5S' }, { position: 'PT121.5S' });
    expect(g.types()).toEqual(['opened']);
    expect(g.port.failed).toBeUndefined();
    for (const speaker of ['customer', 'agent'] as const)
      expect(g.backend.samples(CONV, speaker).length).toBe(121.5 * 8000);
  });

  it('reports a 2-minute hold as hold in the call summary, its duration following position', async () => {
    // The model runs on real timers; only the clock that bounds gaps by real time is moved on.
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['Date'] });
    const model = mkdtempSync(join(tmpdir(), 'vp-hold-model-'));
    saveModel(seededModel('hold'), model);
    const out: EngineOutput[] = [];
    const scoring = createBackend({
      modelDir: model,
      config: DEFAULT_SETTINGS,
      threads: 0,
      onEvents: (o) => out.push(...o),
    });
    try {
      const ingress = testIngress({ idleTimeoutMs: 600_000 });
      ingress.ctx.calls = new CallRegistry(scoring, {}, ingress.ctx.limits);
      const g = genesys(OPERATOR, { ingress });
      // The customer speaks on the external channel, the agent's channel is quiet.
      const stereo = (ms: number, seed: number) => {
        const customer = toPcm16(voiced(ms, { seed }));
        const pcm = new Int16Array(2 * customer.length);
        customer.forEach((v, i) => {
          pcm[2 * i] = v;
        });
        return encodeUlaw(pcm);
      };
      g.send('open', OPEN);
      g.binary(stereo(2000, 1));
      g.send('paused', {}, { position: 'PT2S' });
      vi.setSystemTime(Date.now() + 120_000);
      g.send('resumed', { start: 'PT2S', discarded: 'PT120S' }, { position: 'PT122S' });
      g.binary(stereo(3000, 2));
      g.send('close', { reason: 'end' }, { position: 'PT125S' });
      await scoring.settle(10_000);
      const summary = out.map((o) => o.event).find((e) => e.type === 'call_summary');
      expect(summary).toMatchObject({ durationMs: 125_000, holdMs: 120_000 });
      // The hold is neither speaker's talk nor silence.
      for (const speaker of ['customer', 'agent'] as const) {
        const { talkMs, silenceMs } = summary![speaker].talk;
        expect(talkMs + silenceMs).toBe(5000);
      }
      expect(summary!.customer.talk.talkMs).toBeGreaterThan(4000);
    } finally {
      await scoring.close();
      rmSync(model, { recursive: true, force: true });
    }
  });

  it('bounds gaps by the message’s position and by real time: 600 claims of a minute add at most the slack', () => {
    const g = genesys();
    g.send('open', OPEN);
    for (let i = 0; i < 600; i++)
      g.send('discarded', { start: `PT${i * 60}S`, discarded: 'PT60S' }, { position: `PT${(i + 1) * 60}S` });
    expect(g.port.failed).toBeUndefined();
    expect(g.backend.samples(CONV, 'customer').length).toBe((GAP_SLACK_MS / 1000) * 8000);
    // A span past the message's own position is cut at the position.
    const h = genesys();
    h.send('open', OPEN);
    h.send('discarded', { start: 'PT0S', discarded: 'PT60S' }, { position: 'PT1S' });
    expect(h.backend.samples(CONV, 'customer').length).toBe(8000);
  });

  it('tracks the paused state: audio while paused is a protocol error; paused/resumed out of turn are ignored', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('resumed', { start: 'PT0S', discarded: 'PT0S' });
    g.send('paused', {});
    g.send('paused', {});
    expect(g.port.failed).toBeUndefined();
    g.binary(new Uint8Array(2));
    expect(g.replies().at(-1)).toMatchObject({
      type: 'disconnect',
      parameters: { reason: 'error', info: 'audio while paused' },
    });
  });

  it('error from the client: logged, no reply, the session goes on', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('error', { code: 500, message: 'upstream hiccup' });
    g.send('ping', {});
    expect(g.types()).toEqual(['opened', 'pong']);
    expect(g.port.failed).toBeUndefined();
  });

  it('close → closed and the call ends', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('close', { reason: 'end' });
    expect(g.replies().at(-1)).toEqual({
      version: '2',
      id: SESSION,
      type: 'closed',
      seq: 2,
      clientseq: 2,
      parameters: {},
    });
    expect(g.backend.ended).toEqual([CONV]);
  });

  it('on an error: disconnect, then waits for the client’s close, answers closed, then closes the socket', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('ping', {}, { seq: 5 });
    expect(g.replies().at(-1)).toMatchObject({
      type: 'disconnect',
      parameters: { reason: 'error', info: 'seq 5 after 1' },
    });
    expect(g.port.failed).toBeUndefined();
    expect(g.backend.ended).toEqual([CONV]);
    // Genesys answers a disconnect with close (its seq no longer matters), then the socket closes.
    g.send('close', { reason: 'disconnect' }, { seq: 3 });
    expect(g.types().slice(-2)).toEqual(['disconnect', 'closed']);
    expect(g.port.failed).toMatchObject({ err: { code: 'BAD_SEQ' }, last: null });
    // A client that never closes is cut off after CLOSE_TRANSACTION_MS.
    const mute = genesys();
    mute.send('open', OPEN);
    mute.binary(new Uint8Array(3));
    expect(mute.types()).toEqual(['opened', 'disconnect']);
    vi.advanceTimersByTime(CLOSE_TRANSACTION_MS);
    expect(mute.port.failed).toMatchObject({ err: { code: 'BAD_FRAME' }, last: null });
  });

  it('sequence errors: a skipped or repeated seq, or a serverseq ahead of the server, disconnect with BAD_SEQ', () => {
    const info = (g: ReturnType<typeof genesys>) => g.replies().at(-1)?.parameters;
    const skipped = genesys();
    skipped.send('open', OPEN);
    skipped.send('ping', {}, { seq: 3 });
    expect(info(skipped)).toEqual({ reason: 'error', info: 'seq 3 after 1' });
    const repeated = genesys();
    repeated.send('open', OPEN);
    repeated.send('ping', {}, { seq: 1 });
    expect(info(repeated)).toEqual({ reason: 'error', info: 'seq 1 after 1' });
    const ahead = genesys();
    ahead.send('open', OPEN);
    ahead.send('ping', {}, { serverseq: 2 });
    expect(info(ahead)).toEqual({ reason: 'error', info: "serverseq 2 is ahead of the server's seq 1" });
    const fine = genesys();
    fine.send('open', OPEN);
    fine.send('ping', {}, { serverseq: 1 });
    expect(fine.types()).toEqual(['opened', 'pong']);
  });

  it('disconnect `unauthorized`: another tenant, or an organization other than the header’s', () => {
    const forbidden = genesys({ kind: 'tenant', tenantId: 'globex' });
    forbidden.send('open', OPEN);
    expect(forbidden.replies().at(-1)).toMatchObject({
      type: 'disconnect',
      parameters: { reason: 'unauthorized', info: 'this token may not stream calls of tenant acme' },
    });
    const otherOrg = genesys();
    otherOrg.send('open', { ...OPEN, organizationId: '99999999-2222-4333-8444-555555555555' });
    expect(otherOrg.replies().at(-1)).toMatchObject({
      type: 'disconnect',
      parameters: { reason: 'unauthorized' },
    });
    expect(otherOrg.backend.started).toEqual([]);
  });

  it('only AudioHook messages on /audiohook: audio before open and bad messages get a disconnect', () => {
    const early = genesys();
    early.binary(new Uint8Array(2));
    expect(early.replies()).toEqual([
      expect.objectContaining({
        type: 'disconnect',
        parameters: { reason: 'error', info: 'audio outside an open session' },
      }),
    ]);
    for (const text of [
      '{"version":"2"',
      envelope({ type: 'teleport' }),
      envelope({ type: 'open' }),
      envelope({ version: '3', type: 'ping' }),
      envelope({ type: 'ping', position: '1s' }),
      envelope({ type: 'open', parameters: { ...OPEN, media: [{ ...PCMU_STEREO, rate: 16000 }] } }),
    ]) {
      const g = genesys();
      g.text(text);
      expect(g.types(), text).toEqual(['disconnect']);
    }
  });

  it('ignores a second open; refuses another session’s id', () => {
    const twice = genesys();
    twice.send('open', OPEN);
    twice.send('open', OPEN);
    expect(twice.types()).toEqual(['opened']);
    expect(twice.backend.started.length).toBe(1);
    const other = genesys();
    other.send('open', OPEN);
    other.send('ping', {}, { id: '00000000-0000-4000-8000-000000000002' });
    expect(other.replies().at(-1)).toMatchObject({
      type: 'disconnect',
      parameters: { info: `unknown session 00000000-0000-4000-8000-000000000002` },
    });
  });

  it('continues a call on reconnect: continuedSessions takes over the call of the dropped session', () => {
    const ingress = testIngress({ idleTimeoutMs: 600_000 });
    const NEXT = '00000000-0000-4000-8000-000000000002';
    const a = genesys(OPERATOR, { ingress });
    a.send('open', OPEN);
    a.binary(new Uint8Array(2 * 160));
    a.closed(); // the socket drops without a close transaction
    expect(ingress.backend.ended).toEqual([]);
    const b = genesys(OPERATOR, { ingress, sessionId: NEXT });
    b.send('open', { ...OPEN, continuedSessions: [{ id: SESSION, serverseq: 1, clientseq: 1 }] });
    b.binary(new Uint8Array(2 * 160));
    expect(ingress.backend.started.length).toBe(1);
    expect(ingress.backend.samples(CONV, 'customer').length).toBe(320);
    b.send('close', { reason: 'end' });
    expect(ingress.backend.ended).toEqual([CONV]);
  });

  it('ends a dropped session’s call when nobody continues it within RECONNECT_GRACE_MS', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.closed();
    vi.advanceTimersByTime(RECONNECT_GRACE_MS - 1);
    expect(g.backend.ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(g.backend.ended).toEqual([CONV]);
  });
});
