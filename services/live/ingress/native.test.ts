import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeAlaw } from '../../../core/audio/g711.ts';
import { SUMMARY_WAIT_MS } from './session.ts';
import { socketCall } from './testing/calls.ts';
import { fakeEvent } from './testing/fakes.ts';

const START = {
  type: 'start',
  callId: 'n1',
  tenant: 'acme',
  agent: 'agent-1',
  queue: null,
  codec: 'pcm16',
  sampleRate: 8000,
  channels: ['customer', 'agent'],
};
const pcm = (...v: number[]) => new Uint8Array(Int16Array.from(v).buffer);

function native() {
  const t = socketCall('/stream');
  const send = (m: object) => t.text(JSON.stringify(m));
  const failure = () => t.port.failed?.err.code;
  return { ...t, send, failure };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('native /stream adapter', () => {
  it('names the customer by the start message’s customer field, when given', () => {
    const n = native();
    n.send({ ...START, customer: '+15551230000' });
    expect(n.backend.started[0]?.customerId).toBe('+15551230000');
    const m = native();
    m.send(START);
    expect(m.backend.started[0]).not.toHaveProperty('customerId');
  });

  it('start → started; the call is named by the message', () => {
    const n = native();
    n.send(START);
    expect(n.port.texts()).toEqual([{ type: 'started', callId: 'n1' }]);
    expect(n.backend.started).toEqual([{ callId: 'n1', tenantId: 'acme', agentId: 'agent-1', queue: null }]);
  });

  it('binary, interleaved: whole frames of every channel', () => {
    const n = native();
    n.send(START);
    n.binary(pcm(1, -1, 2, -2));
    expect(Array.from(n.backend.samples('n1', 'customer'), (v) => v * 32768)).toEqual([1, 2]);
    expect(Array.from(n.backend.samples('n1', 'agent'), (v) => v * 32768)).toEqual([-1, -2]);
  });

  it('binary, tagged: byte 0 names the channel; G.711 decodes to the same scale', () => {
    const n = native();
    n.send({ ...START, codec: 'alaw', framing: 'tagged' });
    const tagged = (tag: number, bytes: Uint8Array) => new Uint8Array([tag, ...bytes]);
    n.binary(tagged(1, encodeAlaw(Int16Array.from([1000, 1000]))));
    n.binary(tagged(0, encodeAlaw(Int16Array.from([-1000]))));
    expect(n.backend.samples('n1', 'agent').length).toBe(2);
    expect(n.backend.samples('n1', 'customer')[0]).toBeLessThan(0);
    n.binary(tagged(2, new Uint8Array(2)));
    expect(n.failure()).toBe('BAD_FRAME');
  });

  it('pushes the call’s events back and, after stop, closes 1000 once the summary is out', () => {
    const n = native();
    n.send(START);
    n.emit(fakeEvent('n1', 'score'));
    n.send({ type: 'stop' });
    expect(n.backend.ended).toEqual(['n1']);
    expect(n.port.ended).toBeUndefined();
    n.emit(fakeEvent('n1', 'call_summary'));
    expect(n.port.events().map((e) => e.type)).toEqual(['score', 'call_summary']);
    expect(n.port.ended).toBe('call ended');
  });

  it('after stop without a summary, closes 1000 `summary timeout`', () => {
    const n = native();
    n.send(START);
    n.send({ type: 'stop' });
    vi.advanceTimersByTime(SUMMARY_WAIT_MS);
    expect(n.port.ended).toBe('summary timeout');
  });

  it('refuses each kind of bad input with its code', () => {
    const cases: Array<[Array<object | Uint8Array | string>, string]> = [
      [['{nope'], 'MALFORMED_JSON'],
      [[{ type: 'play' }], 'UNKNOWN_EVENT'],
      [[{ callId: 'n1' }], 'UNKNOWN_EVENT'],
      [[{ ...START, extra: 1 }], 'INVALID_MESSAGE'],
      [[{ ...START, sampleRate: '8000' }], 'INVALID_MESSAGE'],
      [[{ ...START, callId: '' }], 'INVALID_MESSAGE'],
      [[{ ...START, channels: ['customer', 'customer'] }], 'INVALID_MESSAGE'],
      [[{ ...START, sampleRate: 96000 }], 'INVALID_MESSAGE'],
      [[{ ...START, codec: 'opus' }], 'UNSUPPORTED_CODEC'],
      [[{ ...START, codec: 'mulaw', sampleRate: 16000 }], 'UNSUPPORTED_CODEC'],
      [[START, START], 'DUPLICATE_START'],
      [[pcm(1, 2)], 'AUDIO_BEFORE_START'],
      [[{ type: 'stop' }], 'UNKNOWN_CALL'],
      [[{ type: 'stop', now: true }], 'INVALID_MESSAGE'],
      [[START, new Uint8Array(3)], 'BAD_FRAME'],
    ];
    for (const [messages, code] of cases) {
      const n = native();
      for (const m of messages)
        if (m instanceof Uint8Array) n.binary(m);
        else n.text(typeof m === 'string' ? m : JSON.stringify(m));
      expect(n.failure(), JSON.stringify(messages).slice(0, 80)).toBe(code);
    }
  });

  it('resamples PCM16 at 16 kHz to 8 kHz', () => {
    const n = native();
    n.send({ ...START, sampleRate: 16000, channels: ['customer'] });
    n.binary(new Uint8Array(new Int16Array(3200).buffer));
    n.send({ type: 'stop' });
    expect(n.backend.samples('n1', 'customer').length).toBe(1600);
  });
});
