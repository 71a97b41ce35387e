// The native streaming protocol (/stream) over a call session. Text: a `start` message, then `stop`.
// Binary: audio.
//   start {type, callId, tenant, agent?, queue?, customer?, codec: pcm16|mulaw|alaw, sampleRate, channels: [speaker…],
//          framing?: interleaved|tagged}
//   framing interleaved (default): each binary message holds whole frames of all channels interleaved;
//   framing tagged: byte 0 is the channel index, the rest is that channel's mono audio.
// The server answers {type:'started'}, pushes the call's score/alert/call_summary events as they are
// produced, and after `stop` sends the summary and closes with 1000. The schema here checks the
// message's shape; what the values may be is the session's start schema (start.ts).
import { z } from 'zod';
import { IngressError } from './errors.ts';
import { type ProtocolAdapter, parseMessage } from './messages.ts';
import type { CallSession } from './session.ts';

const nativeMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('start'),
    callId: z.string(),
    tenant: z.string(),
    agent: z.string().nullish(),
    queue: z.string().nullish(),
    customer: z.string().nullish(),
    codec: z.string(),
    sampleRate: z.number(),
    channels: z.array(z.string()),
    framing: z.string().default('interleaved'),
  }),
  z.strictObject({ type: z.literal('stop') }),
]);
type NativeMessage = z.infer<typeof nativeMessage>;

export function nativeAdapter(session: CallSession): ProtocolAdapter {
  const handlers: { [K in NativeMessage['type']]: (m: Extract<NativeMessage, { type: K }>) => void } = {
    start: (m) => {
      session.start({
        meta: {
          callId: m.callId,
          tenantId: m.tenant,
          agentId: m.agent ?? null,
          queue: m.queue ?? null,
          ...(m.customer ? { customerId: m.customer } : {}),
        },
        media: { codec: m.codec, sampleRate: m.sampleRate, channels: m.channels, framing: m.framing },
      });
      session.send(JSON.stringify({ type: 'started', callId: m.callId }));
    },
    stop: () => {
      if (!session.started) throw new IngressError('UNKNOWN_CALL', 'stop before start');
      session.stop();
    },
  };

  return {
    onText(text) {
      const m = parseMessage(text, nativeMessage, 'type');
      (handlers[m.type] as (m: NativeMessage) => void)(m);
    },
    onBinary(bytes) {
      session.frames(bytes);
    },
  };
}
