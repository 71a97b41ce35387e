import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IngressError } from './errors.ts';
import {
  CallSession,
  CLOSE_TRANSACTION_MS,
  GAP_SLACK_MS,
  type SessionOptions,
  SUMMARY_WAIT_MS,
} from './session.ts';
import { ACME_TOKEN, fakeEvent, RecordingPort, testIngress } from './testing/fakes.ts';

const OPERATOR = { kind: 'operator', defaultTenant: 'default' } as const;
const start = (callId = 'c1', media: object = {}) => ({
  meta: { callId, tenantId: 'acme', agentId: 'a1', queue: null },
  media: {
    codec: 'pcm16',
    sampleRate: 8000,
    channels: ['customer', 'agent'],
    framing: 'interleaved',
    ...media,
  },
});

function open(options: Partial<SessionOptions> = {}, limits = {}) {
  const t = testIngress({ idleTimeoutMs: 1000, authTimeoutMs: 500, ...limits });
  const port = new RecordingPort();
  const session = new CallSession(t.ctx, port, {
    protocol: 'native',
    path: '/stream',
    principal: OPERATOR,
    ...options,
  });
  return { ...t, port, session };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('CallSession', () => {
  it('admits a validated start and hands decoded frames to the call, per speaker', () => {
    const { session, backend } = open();
    session.handle(() => session.start(start()));
    expect(session.meta).toEqual({ callId: 'c1', tenantId: 'acme', agentId: 'a1', queue: null });
    expect(backend.started).toEqual([session.meta]);
    session.handle(() => session.frames(new Uint8Array(Int16Array.from([100, -200, 300, -400]).buffer)));
    expect(Array.from(backend.samples('c1', 'customer'), (v) => v * 32768)).toEqual([100, 300]);
    expect(Array.from(backend.samples('c1', 'agent'), (v) => v * 32768)).toEqual([-200, -400]);
  });

  it('resamples PCM16 at other rates to 8 kHz and flushes the resampler when the call ends', () => {
    const { session, backend } = open({ echoEvents: false });
    session.start(start('c1', { sampleRate: 16000, channels: ['customer'] }));
    session.frames(new Uint8Array(new Int16Array(1600).buffer));
    session.stop();
    expect(backend.samples('c1', 'customer').length).toBe(800);
    expect(backend.ended).toEqual(['c1']);
  });

  it('fails with the typed refusal of the registry, counted once by reason', async () => {
    const { session, port, backend, count, ctx } = open();
    ctx.calls.admit(start('busy').meta, 'native', OPERATOR);
    session.handle(() => session.start(start('busy')));
    expect(port.failed?.err.code).toBe('DUPLICATE_CALL');
    // Nothing after the failure reaches the call or counts again.
    session.handle(() => session.start(start('busy')));
    expect(await count('voicepulse_ws_rejections_total', { path: '/stream', reason: 'duplicate-call' })).toBe(
      1,
    );
    expect(backend.started.length).toBe(1);
  });

  it('refuses audio before start, a second start, and partial frames', () => {
    for (const [act, code] of [
      [(s: CallSession) => s.frames(new Uint8Array(4)), 'AUDIO_BEFORE_START'],
      [(s: CallSession) => s.audio('customer', new Float32Array(1)), 'AUDIO_BEFORE_START'],
      [
        (s: CallSession) => {
          s.start(start());
          s.start(start());
        },
        'DUPLICATE_START',
      ],
      [
        (s: CallSession) => {
          s.start(start());
          s.frames(new Uint8Array(3));
        },
        'BAD_FRAME',
      ],
    ] as const) {
      const { session, port } = open();
      session.handle(() => act(session));
      expect(port.failed?.err.code).toBe(code);
    }
  });

  it('turns an unexpected exception into INTERNAL_ERROR and ends the call', () => {
    const { session, port, backend } = open();
    session.start(start());
    session.handle(() => {
      throw new TypeError('bug');
    });
    expect(port.failed?.err).toMatchObject({ code: 'INTERNAL_ERROR', message: 'INTERNAL_ERROR: bug' });
    expect(backend.ended).toEqual(['c1']);
  });

  it('closes a session that stays silent past the idle deadline; each message restarts it', () => {
    const { session, port } = open();
    vi.advanceTimersByTime(900);
    session.handle(() => {});
    vi.advanceTimersByTime(900);
    expect(port.failed).toBeUndefined();
    vi.advanceTimersByTime(100);
    expect(port.failed?.err).toMatchObject({
      code: 'IDLE_TIMEOUT',
      message: 'IDLE_TIMEOUT: no message for 1000 ms',
    });
  });

  it('closes a peer that has not authenticated by the auth deadline, however chatty', () => {
    const { session, port } = open({ principal: undefined });
    for (let t = 0; t < 400; t += 100) {
      session.handle(() => {});
      vi.advanceTimersByTime(100);
    }
    expect(port.failed).toBeUndefined();
    vi.advanceTimersByTime(100);
    expect(port.failed?.err.code).toBe('AUTH_TIMEOUT');
  });

  it('authenticates with a token from a message, which cancels the auth deadline', () => {
    const { session, port } = open({ principal: undefined });
    expect(() => session.start(start())).toThrow(IngressError);
    expect(() => session.authenticate('wrong')).toThrow('UNAUTHORIZED');
    expect(session.authenticate(ACME_TOKEN)).toEqual({ kind: 'tenant', tenantId: 'acme' });
    vi.advanceTimersByTime(600);
    expect(port.failed).toBeUndefined();
    session.start(start());
    expect(session.started).toBe(true);
  });

  it('a tenant token may not start another tenant’s call', () => {
    const { session, port } = open({ principal: undefined });
    session.handle(() => {
      session.authenticate(ACME_TOKEN);
      session.start({ ...start(), meta: { ...start().meta, tenantId: 'globex' } });
    });
    expect(port.failed?.err.code).toBe('TENANT_FORBIDDEN');
    expect(session.principal).toEqual({ kind: 'tenant', tenantId: 'acme' });
  });

  it('echoes its own call’s events through the outbox and ends the exchange after the summary', () => {
    const { session, port, ctx, emit } = open({ echoEvents: true });
    session.start(start());
    session.send('{"type":"started"}');
    ctx.calls.admit(start('other').meta, 'native', OPERATOR);
    emit(fakeEvent('other', 'score'));
    emit(fakeEvent('c1', 'score'));
    session.stop();
    emit(fakeEvent('c1', 'call_summary'));
    emit(fakeEvent('c1', 'score'));
    expect(port.texts()).toEqual([{ type: 'started' }]);
    expect(port.events().map((e) => e.type)).toEqual(['score', 'call_summary']);
    expect(port.ended).toBe('call ended');
  });

  it('after stop, waits for the summary no longer than SUMMARY_WAIT_MS and is not idle meanwhile', () => {
    const { session, port } = open({ echoEvents: true }, { idleTimeoutMs: 1000 });
    session.start(start());
    session.stop();
    vi.advanceTimersByTime(SUMMARY_WAIT_MS - 1);
    expect(port.failed).toBeUndefined();
    expect(port.ended).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(port.ended).toBe('summary timeout');
  });

  it('ends the call once when the transport closes, after the adapter’s last audio', () => {
    const { session, backend } = open();
    session.start(start());
    session.beforeEnd(() => session.audio('customer', new Float32Array(10)));
    session.closed();
    session.closed();
    session.handle(() => session.frames(new Uint8Array(4)));
    expect(backend.ended).toEqual(['c1']);
    expect(backend.samples('c1', 'customer').length).toBe(10);
  });

  it('lets the protocol render its own last message on a failure', () => {
    const { session, port } = open();
    session.renderErrorsWith({ render: (err) => JSON.stringify({ type: 'disconnect', info: err.code }) });
    session.fail(new IngressError('BAD_SEQ', 'seq 3 after 1'));
    expect(port.failed?.last).toEqual({ text: '{"type":"disconnect","info":"BAD_SEQ"}' });
  });

  it('with a close transaction: last message, then waits for the peer’s close, answers it, then closes', async () => {
    const { session, port, count } = open();
    session.renderErrorsWith({ render: () => 'disconnect', closeTransaction: true });
    session.start(start());
    session.fail(new IngressError('BAD_SEQ', 'seq 3 after 1'));
    expect(port.sent).toEqual([{ text: 'disconnect' }]);
    expect(port.failed).toBeUndefined();
    expect(session.failing).toBe(true);
    // What the peer sends meanwhile neither fails nor counts again.
    session.handle(() => {
      throw new IngressError('BAD_FRAME', 'late audio');
    });
    session.closeAfterFailure('closed');
    expect(port.sent).toEqual([{ text: 'disconnect' }, { text: 'closed' }]);
    expect(port.failed).toMatchObject({ err: { code: 'BAD_SEQ' }, last: null });
    expect(await count('voicepulse_ws_rejections_total', { path: '/stream', reason: 'bad-seq' })).toBe(1);
    expect(await count('voicepulse_ws_rejections_total', { path: '/stream', reason: 'bad-frame' })).toBe(0);
  });

  it('with a close transaction: closes anyway when the peer never closes', () => {
    const { session, port } = open();
    session.renderErrorsWith({ render: () => 'disconnect', closeTransaction: true });
    session.fail(new IngressError('BAD_SEQ', 'x'));
    vi.advanceTimersByTime(CLOSE_TRANSACTION_MS);
    expect(port.sent).toEqual([{ text: 'disconnect' }]);
    expect(port.failed).toMatchObject({ err: { code: 'BAD_SEQ' }, last: null });
  });

  it('turns gaps into timeline (a gap, not audio, for the scoring threads), never more in total than the time since the start', () => {
    const { session, backend } = open({ echoEvents: false }, { idleTimeoutMs: 60_000 });
    session.start(start());
    expect(session.gap(1500)).toBe(1500);
    expect(backend.gapSamples('c1', 'customer')).toBe(12_000);
    expect(backend.samples('c1', 'customer').length).toBe(12_000);
    // 600 claims of a minute each right after the start: only the slack is granted.
    let granted = 1500;
    for (let i = 0; i < 600; i++) granted += session.gap(60_000);
    expect(granted).toBe(GAP_SLACK_MS);
    vi.advanceTimersByTime(10_000);
    expect(session.gap(60_000, 'agent')).toBe(10_000 + GAP_SLACK_MS - 2000);
    expect(backend.gapSamples('c1', 'agent')).toBe((2000 + 10_000) * 8);
  });

  it('echoes only events of its own call instance, not of another tenant’s call with the same id', () => {
    const { session, port, ctx, emit } = open({ echoEvents: true });
    session.start(start('X'));
    ctx.calls.admit({ ...start('X').meta, tenantId: 'globex' }, 'native', OPERATOR);
    emit(fakeEvent('X', 'score', { tenantId: 'globex' }));
    emit(fakeEvent('X', 'call_summary', { tenantId: 'globex' }));
    emit(fakeEvent('X', 'score', { tenantId: 'acme' }));
    expect(port.events().map((e) => `${e.tenantId}:${e.type}`)).toEqual(['acme:score']);
    expect(port.ended).toBeUndefined();
  });

  it('hands its call over without ending it; a session continuing it streams into the same call', () => {
    const a = open({ echoEvents: false });
    a.session.start(start('X'));
    const taken = a.session.handOver()!;
    a.session.closed();
    expect(a.backend.ended).toEqual([]);
    const b = new CallSession(a.ctx, new RecordingPort(), {
      protocol: 'audiohook',
      path: '/audiohook',
      principal: OPERATOR,
    });
    b.start(start('X'), taken.call);
    b.frames(new Uint8Array(Int16Array.from([5, 6]).buffer));
    expect(a.backend.started.length).toBe(1);
    expect(a.backend.samples('X', 'customer').length).toBe(1);
    b.closed();
    expect(a.backend.ended).toEqual(['X']);
  });
});
