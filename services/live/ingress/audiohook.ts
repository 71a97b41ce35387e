// Genesys Cloud AudioHook protocol v2 (server side) over a call session, one handler per client
// message type as in Genesys's reference server. Text messages carry {version:'2', id, type, seq,
// serverseq, position, parameters}; the client (Genesys) sends open, ping, paused, resumed,
// discarded, update, error, close; the server answers opened, pong, updated, closed, or disconnect
// on error. `seq` counts the client's messages from 1 without gaps and `serverseq` may not run
// ahead of what the server sent (BAD_SEQ otherwise). Binary messages are audio: PCMU (µ-law) or
// L16 (16-bit little-endian) at 8 kHz, channels interleaved in the order negotiated in `opened`
// (external = customer, internal = agent).
import { z } from 'zod';
import { detailOf } from '../../../core/errors.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import type { Codec } from './codec.ts';
import { IngressError, type IngressErrorCode } from './errors.ts';
import { type ProtocolAdapter, parseMessage } from './messages.ts';
import type { CallSession, IngressContext } from './session.ts';

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
const gap = z.object({ start: duration, discarded: duration });
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
  z.object({ ...base, type: z.literal('resumed'), parameters: gap }),
  z.object({ ...base, type: z.literal('discarded'), parameters: gap }),
  z.object({ ...base, type: z.literal('update'), parameters: z.object({ language: z.string().optional() }) }),
  z.object({
    ...base,
    type: z.literal('error'),
    parameters: z.object({ code: z.number(), message: z.string() }),
  }),
  z.object({ ...base, type: z.literal('close'), parameters: z.object({ reason: z.string() }) }),
]);
type AudioHookMessage = z.infer<typeof audiohookMessage>;

const FORMATS: Record<string, Codec> = { PCMU: 'mulaw', L16: 'pcm16' };
const CHANNEL_SPEAKER: Record<'external' | 'internal', SpeakerRole> = {
  external: 'customer',
  internal: 'agent',
};
/** Failures that AudioHook's `disconnect` reports as `unauthorized` rather than `error`. */
const UNAUTHORIZED: ReadonlySet<IngressErrorCode> = new Set([
  'UNAUTHORIZED',
  'AUTH_TIMEOUT',
  'TENANT_FORBIDDEN',
]);

function seconds(d: string): number {
  return Number(d.slice(2, -1));
}

/** A customConfig value usable as an id, else null. */
function configId(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : null;
}

export function audiohookAdapter(session: CallSession, ctx: IngressContext): ProtocolAdapter {
  let sessionId = '';
  let serverSeq = 0;
  let clientSeq = 0;
  let closing = false;
  const message = (type: string, parameters: Record<string, unknown>) =>
    JSON.stringify({ version: '2', id: sessionId, type, seq: ++serverSeq, clientseq: clientSeq, parameters });
  const send = (type: string, parameters: Record<string, unknown>) => session.send(message(type, parameters));
  // Once the session has an id, failures are reported the AudioHook way.
  session.renderErrorsWith((err) =>
    sessionId
      ? message('disconnect', {
          reason: UNAUTHORIZED.has(err.code) ? 'unauthorized' : 'error',
          info: detailOf(err),
        })
      : undefined,
  );

  const handlers: { [K in AudioHookMessage['type']]: (m: Extract<AudioHookMessage, { type: K }>) => void } = {
    open: (m) => {
      if (session.started) throw new IngressError('DUPLICATE_OPEN', 'session already open');
      const offer = m.parameters.media.find((p) => p.rate === 8000 && p.format in FORMATS);
      if (!offer) throw new IngressError('UNSUPPORTED_CODEC', 'no offered media is PCMU or L16 at 8000 Hz');
      const cfg = m.parameters.customConfig ?? {};
      session.start({
        meta: {
          callId: m.parameters.conversationId,
          tenantId: configId(cfg.tenant) ?? m.parameters.organizationId,
          agentId: configId(cfg.agent),
          queue: configId(cfg.queue),
        },
        media: {
          codec: FORMATS[offer.format],
          sampleRate: 8000,
          channels: offer.channels.map((c) => CHANNEL_SPEAKER[c]),
          framing: 'interleaved',
        },
      });
      send('opened', { startPaused: false, media: [offer] });
    },
    ping: () => send('pong', {}),
    paused: () => {},
    resumed: (m) => session.gap(seconds(m.parameters.discarded)),
    discarded: (m) => session.gap(seconds(m.parameters.discarded)),
    update: () => send('updated', {}),
    error: (m) =>
      ctx.log.warn(
        { sessionId, code: m.parameters.code, message: m.parameters.message },
        'audiohook client error',
      ),
    close: () => {
      closing = true;
      session.stop();
      send('closed', {});
    },
  };

  return {
    onText(text) {
      const m = parseMessage(text, audiohookMessage, 'type');
      if (m.type === 'open') sessionId = m.id;
      else if (m.id !== sessionId) throw new IngressError('UNKNOWN_SESSION', `unknown session ${m.id}`);
      if (m.seq !== clientSeq + 1) throw new IngressError('BAD_SEQ', `seq ${m.seq} after ${clientSeq}`);
      if (m.serverseq > serverSeq)
        throw new IngressError(
          'BAD_SEQ',
          `serverseq ${m.serverseq} is ahead of the server's seq ${serverSeq}`,
        );
      clientSeq = m.seq;
      (handlers[m.type] as (x: AudioHookMessage) => void)(m);
    },
    onBinary(bytes) {
      if (!session.started || closing)
        throw new IngressError('AUDIO_BEFORE_OPEN', 'audio outside an open session');
      session.frames(bytes);
    },
  };
}
