// Twilio Media Streams (<Start><Stream> / <Connect><Stream>) over a call session. Twilio sends JSON
// text messages, each named by `event`: connected, start, media, dtmf, stop, and mark (bidirectional
// streams echo the marks the server sent); field names as Twilio documents them. Media is base64
// 8 kHz µ-law, 20 ms per message, on track `inbound` (the caller's leg) or `outbound`. Which track is
// the customer is the stream's `customerTrack` custom parameter, `inbound` by default (right for a
// stream on the customer's leg; a stream on the agent's leg sets `outbound`); the other track is the
// agent. Chunks are put back in media-time order per track (reorder.ts) and lost audio becomes a
// gap of the session's timeline. Events this server does not act on (a future type, `clear`) are
// ignored and counted (voicepulse_ignored_messages_total), never a reason to close.
// Authentication: a valid `X-Twilio-Signature` on the upgrade (an auth token of
// VOICEPULSE_TWILIO_AUTH_TOKENS, core/auth/twilio.ts) makes the stream that tenant's; otherwise a
// token, which Twilio, unable to set headers, sends as the `token` custom parameter of `start`.
import { z } from 'zod';
import { headerValue } from '../../../core/auth/audiohook.ts';
import { twilioSignatureMatches, twilioSignedUrls } from '../../../core/auth/twilio.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import { decodeBase64G711 } from './codec.ts';
import { IngressError } from './errors.ts';
import {
  type ProtocolAdapter,
  parseJson,
  type UpgradeAuth,
  type UpgradeRequest,
  validateMessage,
} from './messages.ts';
import { Reorderer } from './reorder.ts';
import type { CallSession, IngressContext } from './session.ts';

// Twilio sends numbers as decimal strings. Only the media timestamp is read as a number; the others
// stay validated strings (a zod transform costs about 0.2 µs of a media message's 5: bench ingress).
const decimal = z.string().regex(/^\d{1,15}$/);
const sid = z.string().min(1).max(128);
const track = z.enum(['inbound', 'outbound']);
type Track = z.infer<typeof track>;

/**
 * Media, nearly every message of a stream: its base64 µ-law payload is checked and decoded in one
 * pass (decodeBase64G711), so the message's output carries the samples.
 */
export const mediaMessage = z.object({
  event: z.literal('media'),
  sequenceNumber: decimal.optional(),
  streamSid: sid,
  media: z.object({
    track,
    chunk: decimal,
    timestamp: decimal.transform(Number),
    payload: z.string().transform((text, ctx) => {
      const samples = decodeBase64G711(text, 'mulaw');
      if (samples) return samples;
      ctx.issues.push({ code: 'custom', message: 'not base64 (or empty)', input: text });
      return z.NEVER;
    }),
  }),
});

const EVENTS = ['connected', 'start', 'media', 'mark', 'dtmf', 'stop'] as const;

export const twilioMessage = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('connected'),
    protocol: z.string().optional(),
    version: z.string().optional(),
  }),
  z.object({
    event: z.literal('start'),
    sequenceNumber: decimal.optional(),
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
  mediaMessage,
  z.object({ event: z.literal('mark'), streamSid: sid, mark: z.object({ name: z.string() }) }),
  z.object({
    event: z.literal('dtmf'),
    streamSid: sid,
    dtmf: z.object({ track: z.string(), digit: z.string() }).optional(),
  }),
  z.object({
    event: z.literal('stop'),
    streamSid: sid,
    stop: z.object({ accountSid: z.string().optional(), callSid: z.string().optional() }).optional(),
  }),
]);
type TwilioMessage = z.infer<typeof twilioMessage>;

const OTHER: Record<Track, Track> = { inbound: 'outbound', outbound: 'inbound' };
/** Twilio's encoding names → our codecs; any other encoding is refused by the start schema. */
const ENCODING: Record<string, string> = { 'audio/x-mulaw': 'mulaw' };

/**
 * Authenticates a /twilio upgrade by its X-Twilio-Signature, when one is sent and auth tokens are
 * configured: that tenant's principal, or 401 for a signature no token made. Undefined: no
 * signature to judge (the token decides).
 */
export function twilioUpgrade(ctx: IngressContext, req: UpgradeRequest): UpgradeAuth | undefined {
  const signature = headerValue(req.headers, 'x-twilio-signature');
  const tokens = Object.entries(ctx.auth.twilioAuthTokens ?? {});
  if (!signature || tokens.length === 0) return undefined;
  const urls = twilioSignedUrls(headerValue(req.headers, 'host') ?? '', req.target);
  const tenant = tokens.find(([, authToken]) => twilioSignatureMatches(authToken, signature, urls))?.[0];
  return tenant
    ? { principal: { kind: 'tenant', tenantId: tenant } }
    : { status: 401, message: 'X-Twilio-Signature does not match any configured auth token' };
}

export function twilioAdapter(session: CallSession, ctx: IngressContext): ProtocolAdapter {
  let streamSid: string | undefined;
  const speakerOf: Record<Track, SpeakerRole> = { inbound: 'customer', outbound: 'agent' };
  const reorder: Partial<Record<Track, Reorderer>> = {};
  const deliver = (t: Track, pieces: ReturnType<Reorderer['push']>) => {
    for (const p of pieces)
      if ('gapMs' in p) session.gap(p.gapMs, speakerOf[t]);
      else session.audio(speakerOf[t], p.samples);
  };
  session.beforeEnd(() => {
    for (const t of ['inbound', 'outbound'] as const) if (reorder[t]) deliver(t, reorder[t].flush());
  });

  const handlers: { [K in TwilioMessage['event']]: (m: Extract<TwilioMessage, { event: K }>) => void } = {
    connected: () => {},
    start: (m) => {
      if (session.started) throw new IngressError('DUPLICATE_START', 'stream already started');
      const p = m.start.customParameters;
      if (!session.principal) session.authenticate(p.token);
      const customerTrack = p.customerTrack ?? 'inbound';
      if (customerTrack !== 'inbound' && customerTrack !== 'outbound')
        throw new IngressError(
          'INVALID_MESSAGE',
          `invalid start message: start.customParameters.customerTrack: must be inbound or outbound`,
        );
      speakerOf[customerTrack] = 'customer';
      speakerOf[OTHER[customerTrack]] = 'agent';
      const f = m.start.mediaFormat;
      if (f.channels !== 1)
        throw new IngressError(
          'UNSUPPORTED_CODEC',
          `media format has ${f.channels} channels, not 1 per track`,
        );
      session.start({
        meta: {
          callId: m.start.callSid,
          tenantId:
            p.tenant || (session.principal?.kind === 'tenant' ? session.principal.tenantId : 'default'),
          agentId: p.agent || null,
          queue: p.queue || null,
          // Twilio's start names no caller: the TwiML that starts the stream passes it as a parameter.
          ...(p.customer || p.caller ? { customerId: p.customer || p.caller } : {}),
        },
        media: {
          codec: ENCODING[f.encoding] ?? f.encoding,
          sampleRate: f.sampleRate,
          channels: m.start.tracks.map((t) => speakerOf[t]),
          framing: 'tagged',
        },
      });
      streamSid = m.streamSid;
    },
    media: (m) => {
      if (!session.started) throw new IngressError('MEDIA_BEFORE_START', 'media before start');
      if (m.streamSid !== streamSid)
        throw new IngressError('UNKNOWN_STREAM', `unknown streamSid ${m.streamSid}`);
      const { track: t, timestamp, payload: samples } = m.media;
      reorder[t] ??= new Reorderer(8000);
      const r = reorder[t];
      const lostBefore = r.stats.lost;
      deliver(t, r.push({ timestampMs: timestamp, samples }));
      if (r.stats.lost > lostBefore) ctx.metrics?.lostChunks.inc(r.stats.lost - lostBefore);
    },
    mark: () => {},
    dtmf: () => {},
    stop: () => session.stop(),
  };

  return {
    onText(text) {
      const raw = parseJson(text);
      const event = (raw as { event?: unknown } | null)?.event;
      if (typeof event === 'string' && !(EVENTS as readonly string[]).includes(event)) {
        // The label is bounded: a peer's made-up names must not grow the metric.
        ctx.metrics?.ignoredMessages.inc({ path: '/twilio', type: event === 'clear' ? 'clear' : 'unknown' });
        return;
      }
      const m = validateMessage(raw, twilioMessage, 'event', (path) =>
        path === 'media.payload' ? 'BAD_BASE64' : undefined,
      );
      (handlers[m.event] as (m: TwilioMessage) => void)(m);
    },
    onBinary() {
      throw new IngressError('BINARY_NOT_SUPPORTED', 'Twilio Media Streams sends text messages only');
    },
  };
}
