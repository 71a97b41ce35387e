// Genesys Cloud AudioHook protocol v2 (server side). Text messages carry {version:'2', id, type, seq,
// serverseq|clientseq, position, parameters}; the client (Genesys) sends open, ping, paused, resumed,
// discarded, update, error, close; the server answers opened, pong, updated, closed, or disconnect on
// error. Binary messages are audio: PCMU (µ-law) or L16 (16-bit little-endian) at 8 kHz, channels
// interleaved in the order negotiated in `opened` (external = customer, internal = agent).

import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Principal } from '../../../core/auth/tokens.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import type { OpenCall } from './calls.ts';
import { AudioFormatError, type Codec, decodeFrames } from './codec.ts';
import { CLOSE, type GatewayContext, ProtocolError, parseTagged, type SessionHandler } from './session.ts';
import { admissionError } from './twilio.ts';

const duration = z.string().regex(/^PT\d+(\.\d+)?S$/, 'ISO 8601 duration in seconds (PTn.nS)');
const mediaParameter = z.object({
  type: z.literal('audio'),
  format: z.string(),
  channels: z
    .array(z.enum(['external', 'internal']))
    .min(1)
    .max(2),
  rate: z.number(),
});
const base = {
  version: z.literal('2'),
  id: z.string().min(1).max(128),
  seq: z.number().int().positive(),
  serverseq: z.number().int().nonnegative(),
  position: duration,
};
const audiohookMessage = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('open'),
    parameters: z.object({
      organizationId: z.string().min(1).max(128),
      conversationId: z.string().min(1).max(128),
      participant: z.object({ id: z.string() }).passthrough(),
      media: z.array(mediaParameter).min(1),
      language: z.string().optional(),
      customConfig: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
  z.object({ ...base, type: z.literal('ping'), parameters: z.object({ rtt: duration.optional() }) }),
  z.object({ ...base, type: z.literal('paused'), parameters: z.object({}) }),
  z.object({
    ...base,
    type: z.literal('resumed'),
    parameters: z.object({ start: duration, discarded: duration }),
  }),
  z.object({
    ...base,
    type: z.literal('discarded'),
    parameters: z.object({ start: duration, discarded: duration }),
  }),
  z.object({ ...base, type: z.literal('update'), parameters: z.object({ language: z.string().optional() }) }),
  z.object({
    ...base,
    type: z.literal('error'),
    parameters: z.object({ code: z.number(), message: z.string() }),
  }),
  z.object({ ...base, type: z.literal('close'), parameters: z.object({ reason: z.string() }) }),
]);
type AudioHookMessage = z.infer<typeof audiohookMessage>;
const TYPES = new Set(['open', 'ping', 'paused', 'resumed', 'discarded', 'update', 'error', 'close']);
const FORMATS: Record<string, Codec> = { PCMU: 'mulaw', L16: 'pcm16' };
const CHANNEL_SPEAKER: Record<'external' | 'internal', SpeakerRole> = {
  external: 'customer',
  internal: 'agent',
};

function seconds(d: string): number {
  return Number(d.slice(2, -1));
}

export function audiohookSession(ctx: GatewayContext, ws: WebSocket, principal: Principal): SessionHandler {
  let call: OpenCall | undefined;
  let sessionId = '';
  let serverSeq = 0;
  let clientSeq = 0;
  let codec: Codec = 'mulaw';
  let speakers: SpeakerRole[] = [];
  let closing = false;

  const send = (type: string, parameters: Record<string, unknown>) => {
    serverSeq++;
    ws.send(
      JSON.stringify({ version: '2', id: sessionId, type, seq: serverSeq, clientseq: clientSeq, parameters }),
    );
  };
  const silence = (d: string) => {
    if (!call) return;
    const n = Math.min(8000 * 60, Math.round(seconds(d) * 8000));
    if (n > 0) for (const s of speakers) call.audio(s, new Float32Array(n));
  };

  const handlers: { [K in AudioHookMessage['type']]: (m: Extract<AudioHookMessage, { type: K }>) => void } = {
    open: (m) => {
      if (call) throw new ProtocolError(CLOSE.invalidPayload, 'duplicate-open', 'session already open');
      const offer = m.parameters.media.find((p) => p.rate === 8000 && p.format in FORMATS);
      if (!offer)
        throw new ProtocolError(
          CLOSE.unsupported,
          'unsupported-codec',
          'no offered media is PCMU or L16 at 8000 Hz',
        );
      const cfg = m.parameters.customConfig ?? {};
      const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : null);
      try {
        call = ctx.calls.start(
          {
            callId: m.parameters.conversationId,
            tenantId: str(cfg.tenant) ?? m.parameters.organizationId,
            agentId: str(cfg.agent),
            queue: str(cfg.queue),
          },
          'audiohook',
          principal,
        );
      } catch (err) {
        throw admissionError(err);
      }
      codec = FORMATS[offer.format]!;
      speakers = offer.channels.map((c) => CHANNEL_SPEAKER[c]);
      send('opened', { startPaused: false, media: [offer] });
    },
    ping: () => send('pong', {}),
    paused: () => {},
    resumed: (m) => silence(m.parameters.discarded),
    discarded: (m) => silence(m.parameters.discarded),
    update: () => send('updated', {}),
    error: (m) =>
      ctx.log.warn(
        { sessionId, code: m.parameters.code, message: m.parameters.message },
        'audiohook client error',
      ),
    close: () => {
      closing = true;
      call?.end();
      send('closed', {});
    },
  };

  return {
    onText(text) {
      const { raw, kind: type } = parseTagged(text, 'type', TYPES);
      const parsed = audiohookMessage.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ProtocolError(
          CLOSE.invalidPayload,
          'invalid-message',
          `invalid ${type}: ${issue?.path.join('.')}: ${issue?.message}`,
        );
      }
      const m = parsed.data;
      if (m.type === 'open') sessionId = m.id;
      else if (m.id !== sessionId)
        throw new ProtocolError(CLOSE.unknownCall, 'unknown-session', `unknown session ${m.id}`);
      if (m.seq !== clientSeq + 1)
        throw new ProtocolError(CLOSE.invalidPayload, 'bad-seq', `seq ${m.seq} after ${clientSeq}`);
      clientSeq = m.seq;
      (handlers[m.type] as (x: AudioHookMessage) => void)(m);
    },
    onBinary(bytes) {
      if (!call || closing)
        throw new ProtocolError(CLOSE.unknownCall, 'audio-before-open', 'audio outside an open session');
      try {
        const channels = decodeFrames(bytes, codec, speakers.length);
        channels.forEach((samples, c) => {
          call!.audio(speakers[c]!, samples);
        });
      } catch (err) {
        if (err instanceof AudioFormatError)
          throw new ProtocolError(CLOSE.invalidPayload, 'bad-frame', err.message);
        throw err;
      }
    },
    onClose() {
      call?.end();
    },
    reportError(err) {
      // AudioHook reports server-side failures with a disconnect message.
      if (sessionId)
        send('disconnect', {
          reason: err.closeCode === CLOSE.policy ? 'unauthorized' : 'error',
          info: err.message,
        });
      else
        ws.send(
          JSON.stringify({ type: 'error', code: err.closeCode, reason: err.reason, message: err.message }),
        );
    },
  };
}
