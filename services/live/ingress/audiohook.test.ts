import { describe, expect, it } from 'vitest';
import { encodeUlaw } from '../../../core/audio/g711.ts';
import { socketCall } from './testing/calls.ts';

const ID = '00000000-0000-4000-8000-000000000001';
const PCMU_STEREO = { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 };
const OPEN = {
  organizationId: 'org-1',
  conversationId: 'conv-1',
  participant: { id: 'p', ani: '', aniName: '', dnis: '' },
  media: [PCMU_STEREO],
  customConfig: { tenant: 'acme', agent: 'agent-1', queue: 'billing' },
};

/** A Genesys client on a session: numbers its messages as the protocol says unless told otherwise. */
function genesys(principal?: Parameters<typeof socketCall>[1]) {
  const t = socketCall('/audiohook', principal);
  let seq = 0;
  const send = (type: string, parameters: object, over: object = {}) =>
    t.text(
      JSON.stringify({
        version: '2',
        id: ID,
        type,
        seq: ++seq,
        serverseq: 0,
        position: 'PT0S',
        parameters,
        ...over,
      }),
    );
  const replies = () => t.port.texts();
  const failure = () =>
    t.port.failed && {
      code: t.port.failed.err.code,
      last: t.port.failed.last && JSON.parse((t.port.failed.last as { text: string }).text),
    };
  return { ...t, send, replies, failure };
}

describe('AudioHook adapter', () => {
  it('open → opened with the first usable offer; the call is named by the conversation and customConfig', () => {
    const g = genesys();
    g.send('open', {
      ...OPEN,
      media: [
        { type: 'audio', format: 'PCMU', channels: ['external'], rate: 16000 },
        { ...PCMU_STEREO, format: 'OPUS' },
        PCMU_STEREO,
      ],
    });
    expect(g.replies()).toEqual([
      {
        version: '2',
        id: ID,
        type: 'opened',
        seq: 1,
        clientseq: 1,
        parameters: { startPaused: false, media: [PCMU_STEREO] },
      },
    ]);
    expect(g.backend.started).toEqual([
      { callId: 'conv-1', tenantId: 'acme', agentId: 'agent-1', queue: 'billing' },
    ]);
  });

  it('falls back to the organization as tenant and ignores customConfig values that are not ids', () => {
    const g = genesys();
    g.send('open', { ...OPEN, customConfig: { tenant: '', agent: 42, queue: 'x'.repeat(129) } });
    expect(g.backend.started).toEqual([{ callId: 'conv-1', tenantId: 'org-1', agentId: null, queue: null }]);
  });

  it('binary frames: interleaved PCMU or L16, external = customer, internal = agent', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.binary(encodeUlaw(Int16Array.from([1000, -1000, 2000, -2000])));
    expect(Array.from(g.backend.samples('conv-1', 'customer'), (v) => Math.sign(v))).toEqual([1, 1]);
    expect(Array.from(g.backend.samples('conv-1', 'agent'), (v) => Math.sign(v))).toEqual([-1, -1]);
    const l16 = genesys();
    l16.send('open', {
      ...OPEN,
      media: [{ type: 'audio', format: 'L16', channels: ['internal'], rate: 8000 }],
    });
    l16.binary(new Uint8Array(Int16Array.from([300, -300]).buffer));
    expect(Array.from(l16.backend.samples('conv-1', 'agent'), (v) => v * 32768)).toEqual([300, -300]);
  });

  it('ping → pong, update → updated, each numbered and acknowledging the client’s seq', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('ping', { rtt: 'PT0.05S' });
    g.send('update', { language: 'en-US' });
    expect(g.replies().slice(1)).toEqual([
      { version: '2', id: ID, type: 'pong', seq: 2, clientseq: 2, parameters: {} },
      { version: '2', id: ID, type: 'updated', seq: 3, clientseq: 3, parameters: {} },
    ]);
  });

  it('paused, then resumed: no reply; the discarded span becomes silence on both channels', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('paused', {}, { position: 'PT1S' });
    g.send('resumed', { start: 'PT1S', discarded: 'PT2.5S' }, { position: 'PT3.5S' });
    g.send('discarded', { start: 'PT4S', discarded: 'PT0.5S' });
    expect(g.replies().map((r) => r.type)).toEqual(['opened']);
    expect(g.failure()).toBeUndefined();
    for (const speaker of ['customer', 'agent'] as const) {
      const x = g.backend.samples('conv-1', speaker);
      expect(x.length).toBe(3 * 8000);
      expect(x.every((v) => v === 0)).toBe(true);
    }
  });

  it('error from the client: logged, no reply, the session goes on', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('error', { code: 500, message: 'upstream hiccup' });
    g.send('ping', {});
    expect(g.replies().map((r) => r.type)).toEqual(['opened', 'pong']);
    expect(g.failure()).toBeUndefined();
  });

  it('close → closed and the call ends; audio after it is refused', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.send('close', { reason: 'end' });
    expect(g.replies().at(-1)).toEqual({
      version: '2',
      id: ID,
      type: 'closed',
      seq: 2,
      clientseq: 2,
      parameters: {},
    });
    expect(g.backend.ended).toEqual(['conv-1']);
    g.binary(new Uint8Array(2));
    expect(g.failure()).toEqual({
      code: 'AUDIO_BEFORE_OPEN',
      last: {
        version: '2',
        id: ID,
        type: 'disconnect',
        seq: 3,
        clientseq: 2,
        parameters: { reason: 'error', info: 'audio outside an open session' },
      },
    });
  });

  it('sequence errors: a skipped or repeated seq, or a serverseq ahead of the server, disconnect with BAD_SEQ', () => {
    const skipped = genesys();
    skipped.send('open', OPEN);
    skipped.send('ping', {}, { seq: 3 });
    expect(skipped.failure()?.code).toBe('BAD_SEQ');
    expect(skipped.failure()?.last.parameters).toEqual({ reason: 'error', info: 'seq 3 after 1' });
    const repeated = genesys();
    repeated.send('open', OPEN);
    repeated.send('ping', {}, { seq: 1 });
    expect(repeated.failure()?.code).toBe('BAD_SEQ');
    const ahead = genesys();
    ahead.send('open', OPEN);
    ahead.send('ping', {}, { serverseq: 2 });
    expect(ahead.failure()?.last.parameters).toEqual({
      reason: 'error',
      info: "serverseq 2 is ahead of the server's seq 1",
    });
    const fine = genesys();
    fine.send('open', OPEN);
    fine.send('ping', {}, { serverseq: 1 });
    expect(fine.failure()).toBeUndefined();
  });

  it('disconnect: `unauthorized` for a tenant the token may not stream, `error` otherwise; before open, the transport’s default', () => {
    const forbidden = genesys({ kind: 'tenant', tenantId: 'globex' });
    forbidden.send('open', OPEN);
    expect(forbidden.failure()).toEqual({
      code: 'TENANT_FORBIDDEN',
      last: expect.objectContaining({
        type: 'disconnect',
        parameters: { reason: 'unauthorized', info: 'this token may not stream calls of tenant acme' },
      }),
    });
    const codec = genesys();
    codec.send('open', { ...OPEN, media: [{ ...PCMU_STEREO, rate: 16000 }] });
    expect(codec.failure()).toEqual({
      code: 'UNSUPPORTED_CODEC',
      last: expect.objectContaining({
        type: 'disconnect',
        parameters: { reason: 'error', info: 'no offered media is PCMU or L16 at 8000 Hz' },
      }),
    });
    const early = genesys();
    early.binary(new Uint8Array(2));
    expect(early.failure()).toEqual({ code: 'AUDIO_BEFORE_OPEN', last: undefined });
  });

  it('bad binary: partial frames disconnect with BAD_FRAME', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.binary(new Uint8Array(3));
    expect(g.failure()?.code).toBe('BAD_FRAME');
    expect(g.failure()?.last.type).toBe('disconnect');
  });

  it('refuses a second open, another session’s id, unknown types, bad JSON and invalid messages', () => {
    const twice = genesys();
    twice.send('open', OPEN);
    twice.send('open', OPEN);
    expect(twice.failure()?.code).toBe('DUPLICATE_OPEN');
    const other = genesys();
    other.send('open', OPEN);
    other.send('ping', {}, { id: '00000000-0000-4000-8000-000000000002' });
    expect(other.failure()?.code).toBe('UNKNOWN_SESSION');
    for (const [text, code] of [
      ['{"version":"2"', 'MALFORMED_JSON'],
      [
        JSON.stringify({
          version: '2',
          id: ID,
          type: 'teleport',
          seq: 1,
          serverseq: 0,
          position: 'PT0S',
          parameters: {},
        }),
        'UNKNOWN_EVENT',
      ],
      [
        JSON.stringify({
          version: '2',
          id: ID,
          type: 'open',
          seq: 1,
          serverseq: 0,
          position: 'PT0S',
          parameters: {},
        }),
        'INVALID_MESSAGE',
      ],
      [
        JSON.stringify({
          version: '3',
          id: ID,
          type: 'ping',
          seq: 1,
          serverseq: 0,
          position: 'PT0S',
          parameters: {},
        }),
        'INVALID_MESSAGE',
      ],
      [
        JSON.stringify({
          version: '2',
          id: ID,
          type: 'ping',
          seq: 1,
          serverseq: 0,
          position: '1s',
          parameters: {},
        }),
        'INVALID_MESSAGE',
      ],
    ] as const) {
      const g = genesys();
      g.text(text);
      expect(g.failure()?.code, text).toBe(code);
    }
  });

  it('ends the call when the socket closes without a close message', () => {
    const g = genesys();
    g.send('open', OPEN);
    g.session.closed();
    expect(g.backend.ended).toEqual(['conv-1']);
  });
});
