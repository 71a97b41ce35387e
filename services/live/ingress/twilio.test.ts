import { describe, expect, it } from 'vitest';
import { mediaMessages, startMessage, stopMessage, toPcm16 } from '../../../clients/twilio-client.ts';
import { decodeUlaw, encodeUlaw } from '../../../core/audio/g711.ts';
import { voiced } from '../../../core/streaming/testing/synthetic.ts';
import { OPERATOR, socketCall } from './testing/calls.ts';
import { ACME_TOKEN } from './testing/fakes.ts';

const call = {
  callSid: 'CA1',
  streamSid: 'MZ1',
  params: { tenant: 'acme', agent: 'agent-1', queue: 'billing' },
};
const viaUlaw = (x: Float32Array) => Array.from(decodeUlaw(encodeUlaw(toPcm16(x))), (v) => v / 32768);
const audio = voiced(200);

function failure(t: ReturnType<typeof socketCall>) {
  return t.port.failed && { code: t.port.failed.err.code, last: t.port.failed.last };
}

describe('Twilio Media Streams adapter', () => {
  it("names the customer by the stream's customer (or caller) custom parameter: Twilio's start carries no caller number", () => {
    const cases: [Record<string, string>, string | undefined][] = [
      [{ customer: '+15551230000' }, '+15551230000'],
      [{ caller: 'crm-9' }, 'crm-9'],
      [{}, undefined],
    ];
    for (const [params, customerId] of cases) {
      const t = socketCall('/twilio');
      t.text(startMessage({ ...call, params: { ...call.params, ...params } }));
      expect(t.backend.started[0]?.customerId).toBe(customerId);
    }
    const t = socketCall('/twilio');
    t.text(startMessage({ ...call, params: { ...call.params, customer: 'x'.repeat(129) } }));
    expect(failure(t)).toMatchObject({ code: 'INVALID_MESSAGE' });
  });

  it('connected, start, media (both tracks), mark, dtmf, stop: a call with each track’s audio', () => {
    const t = socketCall('/twilio');
    t.text(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    t.text(startMessage(call));
    expect(t.backend.started).toEqual([
      { callId: 'CA1', tenantId: 'acme', agentId: 'agent-1', queue: 'billing' },
    ]);
    const inbound = mediaMessages(call, 'inbound', audio);
    const outbound = mediaMessages(call, 'outbound', audio.subarray(0, 800));
    inbound.forEach((m, i) => {
      t.text(m);
      if (outbound[i]) t.text(outbound[i]!);
    });
    t.text(
      JSON.stringify({ event: 'mark', sequenceNumber: '9', streamSid: 'MZ1', mark: { name: 'greeting' } }),
    );
    t.text(
      JSON.stringify({
        event: 'dtmf',
        streamSid: 'MZ1',
        sequenceNumber: '10',
        dtmf: { track: 'inbound_track', digit: '1' },
      }),
    );
    t.text(stopMessage(call));
    expect(t.port.failed).toBeUndefined();
    expect(Array.from(t.backend.samples('CA1', 'customer'))).toEqual(viaUlaw(audio));
    expect(Array.from(t.backend.samples('CA1', 'agent'))).toEqual(viaUlaw(audio.subarray(0, 800)));
    expect(t.backend.ended).toEqual(['CA1']);
    // Twilio is sent nothing back.
    expect(t.port.sent).toEqual([]);
  });

  it('puts chunks back in order per track and flushes what waits when the socket closes', () => {
    const t = socketCall('/twilio');
    t.text(startMessage(call));
    const media = mediaMessages(call, 'inbound', audio);
    const swapped = media.flatMap((_, i) => (i % 2 === 0 ? [media[i + 1], media[i]] : [])).filter(Boolean);
    for (const m of swapped.slice(0, -1)) t.text(m!);
    t.session.closed();
    // Chunk 9 never came: the reorderer hands over chunk 10 after 20 ms of silence, then the call ends.
    const got = t.backend.samples('CA1', 'customer');
    const expected = viaUlaw(audio);
    expected.fill(0, 8 * 160, 9 * 160);
    expect(Array.from(got)).toEqual(expected);
    expect(t.backend.ended).toEqual(['CA1']);
  });

  it('counts chunks that never arrive and replaces them with silence', async () => {
    const t = socketCall('/twilio');
    t.text(startMessage(call));
    const media = mediaMessages(call, 'inbound', voiced(400));
    t.text(media[0]!);
    for (const m of media.slice(2)) t.text(m);
    expect(await t.count('voicepulse_media_lost_chunks_total')).toBe(1);
    expect(t.backend.samples('CA1', 'customer').length).toBe(3200);
  });

  it('takes the token from the start message’s custom parameters when the upgrade had none', () => {
    const t = socketCall('/twilio', null);
    t.text(startMessage({ ...call, params: { ...call.params, token: ACME_TOKEN } }));
    expect(t.port.failed).toBeUndefined();
    expect(t.session.principal).toEqual({ kind: 'tenant', tenantId: 'acme' });
    const wrong = socketCall('/twilio', null);
    wrong.text(startMessage({ ...call, params: { token: 'wrong' } }));
    expect(failure(wrong)?.code).toBe('UNAUTHORIZED');
    const forbidden = socketCall('/twilio', null);
    forbidden.text(startMessage({ ...call, params: { tenant: 'globex', token: ACME_TOKEN } }));
    expect(failure(forbidden)?.code).toBe('TENANT_FORBIDDEN');
  });

  it('defaults the tenant, agent and queue when the parameters are absent', () => {
    const t = socketCall('/twilio', OPERATOR);
    t.text(startMessage({ ...call, params: {} }));
    expect(t.backend.started).toEqual([{ callId: 'CA1', tenantId: 'default', agentId: null, queue: null }]);
  });

  it('refuses each kind of bad input with its code, after which nothing reaches the call', async () => {
    const media = mediaMessages(call, 'inbound', audio)[0]!;
    const cases: Array<[string[], string]> = [
      [['{not json'], 'MALFORMED_JSON'],
      [['[1,2]'], 'UNKNOWN_EVENT'],
      [[JSON.stringify({ streamSid: 'MZ1' })], 'UNKNOWN_EVENT'],
      [[JSON.stringify({ event: 'start', streamSid: 'MZ1' })], 'INVALID_MESSAGE'],
      [[media], 'MEDIA_BEFORE_START'],
      [[startMessage(call), startMessage(call)], 'DUPLICATE_START'],
      [[startMessage(call), media.replace('MZ1', 'MZ2')], 'UNKNOWN_STREAM'],
      [[startMessage(call), media.replace(/"payload":"[^"]+"/, '"payload":"@@@!"')], 'BAD_BASE64'],
      [[startMessage(call), media.replace(/"payload":"[^"]+"/, '"payload":""')], 'BAD_BASE64'],
      [[startMessage(call), media.replace(/"payload":"([^"]+)"/, '"payload":" $1"')], 'BAD_BASE64'],
      [[startMessage(call), media.replace('"chunk":"1"', '"chunk":"one"')], 'INVALID_MESSAGE'],
      [[startMessage(call).replace('audio/x-mulaw', 'audio/x-l16')], 'UNSUPPORTED_CODEC'],
      [[startMessage(call).replace('"sampleRate":8000', '"sampleRate":16000')], 'UNSUPPORTED_CODEC'],
      [[startMessage(call).replace('"channels":1', '"channels":2')], 'UNSUPPORTED_CODEC'],
      [[startMessage({ ...call, callSid: 'x'.repeat(200) })], 'INVALID_MESSAGE'],
    ];
    for (const [messages, code] of cases) {
      const t = socketCall('/twilio');
      for (const m of messages) t.text(m);
      expect(failure(t)?.code, messages.join(' ').slice(0, 80)).toBe(code);
      // The transport's default error message is sent (Twilio has no error message of its own).
      expect(t.port.failed?.last).toBeUndefined();
      t.text(media);
      expect(t.backend.samples('CA1', 'customer').length).toBe(0);
    }
    const t = socketCall('/twilio');
    t.binary(new Uint8Array(160));
    expect(failure(t)?.code).toBe('BINARY_NOT_SUPPORTED');
    expect(
      await t.count('voicepulse_ws_rejections_total', { path: '/twilio', reason: 'binary-not-supported' }),
    ).toBe(1);
  });

  it('refuses a call already streaming and a stream past the call limit', () => {
    const first = socketCall('/twilio', OPERATOR, { maxConcurrentCalls: 1 });
    first.text(startMessage(call));
    const again = socketCall('/twilio');
    again.ctx.calls.admit(
      { callId: 'CA1', tenantId: 'acme', agentId: null, queue: null },
      'twilio',
      OPERATOR,
    );
    again.text(startMessage(call));
    expect(failure(again)?.code).toBe('DUPLICATE_CALL');
    const full = socketCall('/twilio', OPERATOR, { maxConcurrentCalls: 0 });
    full.text(startMessage(call));
    expect(failure(full)?.code).toBe('CALL_LIMIT');
    const down = socketCall('/twilio');
    down.backend.failure = 'model did not load';
    down.text(startMessage(call));
    expect(failure(down)?.code).toBe('SCORING_UNAVAILABLE');
  });

  it('numbering shared across tracks (as Twilio numbers the stream): no chunk counts as lost, none waits', async () => {
    const t = socketCall('/twilio');
    t.text(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    t.text(startMessage(call));
    const inbound = mediaMessages(call, 'inbound', audio);
    const outbound = mediaMessages(call, 'outbound', audio);
    let chunk = 0;
    const renumber = (m: string) => m.replace(/"chunk":"\d+"/, `"chunk":"${++chunk}"`);
    inbound.forEach((m, i) => {
      t.text(renumber(m));
      t.text(renumber(outbound[i]!));
      // Each track's audio is handed over as it comes, not 10 chunks later.
      expect(t.backend.samples('CA1', 'customer').length).toBe((i + 1) * 160);
      expect(t.backend.samples('CA1', 'agent').length).toBe((i + 1) * 160);
    });
    expect(await t.count('voicepulse_media_lost_chunks_total')).toBe(0);
    expect(t.port.failed).toBeUndefined();
  });

  it('ignores and counts events it does not act on (clear, future types) instead of closing', async () => {
    const t = socketCall('/twilio');
    t.text(startMessage(call));
    t.text(JSON.stringify({ event: 'clear', streamSid: 'MZ1' }));
    t.text(JSON.stringify({ event: 'teleport', streamSid: 'MZ1', teleport: { to: 'mars' } }));
    t.text(mediaMessages(call, 'inbound', audio)[0]!);
    expect(t.port.failed).toBeUndefined();
    expect(t.backend.samples('CA1', 'customer').length).toBe(160);
    expect(await t.count('voicepulse_ignored_messages_total', { path: '/twilio', type: 'clear' })).toBe(1);
    expect(await t.count('voicepulse_ignored_messages_total', { path: '/twilio', type: 'unknown' })).toBe(1);
  });

  it('takes the customer track from the customerTrack parameter: outbound on the agent’s leg', () => {
    const onAgentLeg = { ...call, params: { ...call.params, customerTrack: 'outbound' } };
    const t = socketCall('/twilio');
    t.text(startMessage(onAgentLeg));
    for (const m of mediaMessages(onAgentLeg, 'outbound', audio)) t.text(m);
    expect(t.backend.samples('CA1', 'customer').length).toBe(audio.length);
    expect(t.backend.samples('CA1', 'agent').length).toBe(0);
    const bad = socketCall('/twilio');
    bad.text(startMessage({ ...call, params: { customerTrack: 'both' } }));
    expect(failure(bad)?.code).toBe('INVALID_MESSAGE');
  });

  it('a track that starts late begins with its lead-in as timeline, bounded by real time', () => {
    const t = socketCall('/twilio');
    const startedAt = performance.now();
    t.text(startMessage(call));
    const late = mediaMessages(call, 'outbound', audio.subarray(0, 160))[0]!.replace(
      '"timestamp":"0"',
      '"timestamp":"600000"',
    );
    t.text(late);
    // Ten minutes claimed a moment after the start: only the 2 s slack plus the real time that
    // passed (8 samples a millisecond; the session's clock counts whole milliseconds) is granted.
    const elapsedSamples = Math.ceil((performance.now() - startedAt + 1) * 8);
    expect(t.backend.samples('CA1', 'agent').length).toBeLessThanOrEqual(2 * 8000 + 160 + elapsedSamples);
    expect(t.backend.samples('CA1', 'agent').length).toBeLessThan(60 * 8000);
  });

  it('ignores stop before start (Twilio stops streams it never started)', () => {
    const t = socketCall('/twilio');
    t.text(stopMessage(call));
    expect(t.port.failed).toBeUndefined();
    expect(t.backend.ended).toEqual([]);
  });
});
