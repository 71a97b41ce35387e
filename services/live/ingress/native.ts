// The native streaming protocol (/stream). Text: a `start` message, then `stop`. Binary: audio.
//   start {type, callId, tenant, agent?, queue?, codec: pcm16|mulaw|alaw, sampleRate, channels: [speaker…],
//          framing?: interleaved|tagged}
//   framing interleaved (default): each binary message holds whole frames of all channels interleaved;
//   framing tagged: byte 0 is the channel index, the rest is that channel's mono audio.
// The server answers {type:'started'}, pushes the call's score/alert/call_summary events as they are
// produced, and after `stop` sends the summary and closes with 1000.

import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Principal } from '../../../core/auth/tokens.ts';
import { SPEAKER_ROLES } from '../../../core/events/schema.ts';
import { AudioFormatError, CODECS } from './codec.ts';
import { InterleavedIngest } from './interleaved.ts';
import { BoundedSender } from './send-queue.ts';
import { CLOSE, type GatewayContext, ProtocolError, parseTagged, type SessionHandler } from './session.ts';
import { admissionError } from './twilio.ts';

const id = z.string().min(1).max(128);
export const nativeMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('start'),
    callId: id,
    tenant: id,
    agent: id.nullable().optional(),
    queue: id.nullable().optional(),
    codec: z.enum(CODECS),
    sampleRate: z.number().int().min(8000).max(48000),
    channels: z
      .array(z.enum(SPEAKER_ROLES))
      .min(1)
      .max(2)
      .refine((c) => new Set(c).size === c.length, 'each speaker at most once'),
    framing: z.enum(['interleaved', 'tagged']).default('interleaved'),
  }),
  z.strictObject({ type: z.literal('stop') }),
]);
export type NativeMessage = z.infer<typeof nativeMessage>;
const TYPES = new Set(['start', 'stop']);
/** How long after `stop` the server waits for the summary before closing anyway. */
const SUMMARY_WAIT_MS = 15_000;

export function nativeSession(ctx: GatewayContext, ws: WebSocket, principal: Principal): SessionHandler {
  let ingest: InterleavedIngest | undefined;
  let unsubscribe: (() => void) | undefined;
  const out = new BoundedSender(ws, {
    maxQueued: ctx.limits.maxQueuedMessages,
    highWaterBytes: ctx.limits.highWaterBytes,
    onDrop: () => ctx.metrics?.watcherDropped.inc(),
  });

  const handlers: { [K in NativeMessage['type']]: (m: Extract<NativeMessage, { type: K }>) => void } = {
    start: (m) => {
      if (ingest) throw new ProtocolError(CLOSE.invalidPayload, 'duplicate-start', 'call already started');
      if (m.codec !== 'pcm16' && m.sampleRate !== 8000)
        throw new ProtocolError(
          CLOSE.unsupported,
          'unsupported-codec',
          `${m.codec} is defined at 8000 Hz only`,
        );
      let call: ReturnType<GatewayContext['calls']['start']>;
      try {
        call = ctx.calls.start(
          { callId: m.callId, tenantId: m.tenant, agentId: m.agent ?? null, queue: m.queue ?? null },
          'native',
          principal,
        );
      } catch (err) {
        throw admissionError(err);
      }
      ingest = new InterleavedIngest(call, m.codec, m.sampleRate, m.channels, m.framing);
      unsubscribe = ctx.hub.subscribeCall(m.callId, {
        send: (message, event) => {
          out.send(message);
          if (event.type === 'call_summary') setTimeout(() => ws.close(CLOSE.normal, 'call ended'), 50);
        },
      });
      ws.send(JSON.stringify({ type: 'started', callId: m.callId }));
    },
    stop: () => {
      if (!ingest) throw new ProtocolError(CLOSE.unknownCall, 'unknown-call', 'stop before start');
      ingest.finish();
      setTimeout(() => ws.close(CLOSE.normal, 'summary timeout'), SUMMARY_WAIT_MS).unref();
    },
  };

  return {
    onText(text) {
      const { raw, kind: type } = parseTagged(text, 'type', TYPES);
      const parsed = nativeMessage.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const codecIssue = issue?.path[0] === 'codec';
        throw new ProtocolError(
          codecIssue ? CLOSE.unsupported : CLOSE.invalidPayload,
          codecIssue ? 'unsupported-codec' : 'invalid-message',
          `invalid ${type} message: ${issue?.path.join('.')}: ${issue?.message}`,
        );
      }
      (handlers[parsed.data.type] as (m: NativeMessage) => void)(parsed.data);
    },
    onBinary(bytes) {
      if (!ingest) throw new ProtocolError(CLOSE.unknownCall, 'audio-before-start', 'audio before start');
      try {
        ingest.push(bytes);
      } catch (err) {
        if (err instanceof AudioFormatError)
          throw new ProtocolError(CLOSE.invalidPayload, 'bad-frame', err.message);
        throw err;
      }
    },
    onClose() {
      ingest?.finish();
      unsubscribe?.();
    },
  };
}
