// Twilio Media Streams (<Start><Stream> / <Connect><Stream>) over a call session. Twilio sends JSON
// text messages, each named by `event`: connected, start, media, mark, dtmf, stop (field names as
// Twilio documents them). Media is base64 8 kHz µ-law, 20 ms per message; track `inbound` is the
// caller (customer), `outbound` the agent side. Chunks are put back in order per track by
// `media.chunk` (reorder.ts) before they reach the call. Twilio cannot set headers, so the token
// may come as the `token` custom parameter of `start` instead of at the upgrade.
import { z } from 'zod';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import { decodeFrames } from './codec.ts';
import { IngressError } from './errors.ts';
import { type ProtocolAdapter, parseMessage } from './messages.ts';
import { Reorderer } from './reorder.ts';
import type { CallSession, IngressContext } from './session.ts';

// Twilio sends numbers as decimal strings.
const numeric = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);
const sid = z.string().min(1).max(128);
const track = z.enum(['inbound', 'outbound']);

const twilioMessage = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('connected'),
    protocol: z.string().optional(),
    version: z.string().optional(),
  }),
  z.object({
    event: z.literal('start'),
    sequenceNumber: numeric.optional(),
    streamSid: sid,
    start: z.object({
      streamSid: sid.optional(),
      callSid: sid,
      accountSid: z.string().optional(),
      tracks: z.array(track).min(1),
      customParameters: z.record(z.string(), z.string()).default({}),
      mediaFormat: z.object({ encoding: z.string(), sampleRate: z.number(), channels: z.number() }),
    }),
  }),
  z.object({
    event: z.literal('media'),
    sequenceNumber: numeric.optional(),
    streamSid: sid,
    media: z.object({
      track,
      chunk: numeric,
      timestamp: numeric,
      payload: z.base64().min(1),
    }),
  }),
  z.object({ event: z.literal('mark'), streamSid: sid, mark: z.object({ name: z.string() }) }),
  z.object({ event: z.literal('dtmf'), streamSid: sid }),
  z.object({ event: z.literal('stop'), streamSid: sid }),
]);
type TwilioMessage = z.infer<typeof twilioMessage>;
type Track = z.infer<typeof track>;

const TRACK_SPEAKER: Record<Track, SpeakerRole> = { inbound: 'customer', outbound: 'agent' };
/** Twilio's encoding names → our codecs; any other encoding is refused by the start schema. */
const ENCODING: Record<string, string> = { 'audio/x-mulaw': 'mulaw' };

export function twilioAdapter(session: CallSession, ctx: IngressContext): ProtocolAdapter {
  let streamSid: string | undefined;
  const reorder: Partial<Record<Track, Reorderer>> = {};
  session.beforeEnd(() => {
    for (const t of ['inbound', 'outbound'] as const)
      for (const part of reorder[t]?.flush() ?? []) session.audio(TRACK_SPEAKER[t], part);
  });

  const handlers: { [K in TwilioMessage['event']]: (m: Extract<TwilioMessage, { event: K }>) => void } = {
    connected: () => {},
    start: (m) => {
      if (session.started) throw new IngressError('DUPLICATE_START', 'stream already started');
      const p = m.start.customParameters;
      if (!session.principal) session.authenticate(p.token);
      const f = m.start.mediaFormat;
      if (f.channels !== 1)
        throw new IngressError(
          'UNSUPPORTED_CODEC',
          `media format has ${f.channels} channels, not 1 per track`,
        );
      session.start({
        meta: {
          callId: m.start.callSid,
          tenantId: p.tenant || 'default',
          agentId: p.agent || null,
          queue: p.queue || null,
        },
        media: {
          codec: ENCODING[f.encoding] ?? f.encoding,
          sampleRate: f.sampleRate,
          channels: m.start.tracks.map((t) => TRACK_SPEAKER[t]),
          framing: 'tagged',
        },
      });
      streamSid = m.streamSid;
    },
    media: (m) => {
      if (!session.started) throw new IngressError('MEDIA_BEFORE_START', 'media before start');
      if (m.streamSid !== streamSid)
        throw new IngressError('UNKNOWN_STREAM', `unknown streamSid ${m.streamSid}`);
      const { track: t, chunk, timestamp, payload } = m.media;
      const samples = decodeFrames(Buffer.from(payload, 'base64'), 'mulaw', 1)[0]!;
      reorder[t] ??= new Reorderer(8000, 1);
      const r = reorder[t];
      const lostBefore = r.stats.lost;
      for (const part of r.push({ seq: chunk, timestampMs: timestamp, samples }))
        session.audio(TRACK_SPEAKER[t], part);
      if (r.stats.lost > lostBefore) ctx.metrics?.lostChunks.inc(r.stats.lost - lostBefore);
    },
    mark: () => {},
    dtmf: () => {},
    stop: () => session.stop(),
  };

  return {
    onText(text) {
      const m = parseMessage(text, twilioMessage, 'event', (path) =>
        path === 'media.payload' ? 'BAD_BASE64' : undefined,
      );
      (handlers[m.event] as (m: TwilioMessage) => void)(m);
    },
    onBinary() {
      throw new IngressError('BINARY_NOT_SUPPORTED', 'Twilio Media Streams sends text messages only');
    },
  };
}
