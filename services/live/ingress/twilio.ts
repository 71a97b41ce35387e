// Twilio Media Streams (bidirectional <Stream> / <Start><Stream>): JSON text messages connected,
// start, media, mark, dtmf, stop. Media is base64 8 kHz µ-law, 20 ms per message; track inbound is
// the caller (customer), outbound the agent side. Chunks are reordered per track by chunk number.
import { z } from 'zod';
import { authenticate, type Principal } from '../../../core/auth/tokens.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import { CallAdmissionError, type OpenCall } from './calls.ts';
import { decodeFrames } from './codec.ts';
import { Reorderer } from './reorder.ts';
import { CLOSE, type GatewayContext, ProtocolError, parseTagged, type SessionHandler } from './session.ts';

// Twilio sends numbers as decimal strings.
const numeric = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);
const id = z.string().min(1).max(128);

const twilioMessage = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('connected'),
    protocol: z.string().optional(),
    version: z.string().optional(),
  }),
  z.object({
    event: z.literal('start'),
    sequenceNumber: numeric.optional(),
    streamSid: id,
    start: z.object({
      streamSid: id.optional(),
      callSid: id,
      accountSid: z.string().optional(),
      tracks: z.array(z.enum(['inbound', 'outbound'])).min(1),
      customParameters: z.record(z.string(), z.string()).default({}),
      mediaFormat: z.object({ encoding: z.string(), sampleRate: z.number(), channels: z.number() }),
    }),
  }),
  z.object({
    event: z.literal('media'),
    sequenceNumber: numeric.optional(),
    streamSid: id,
    media: z.object({
      track: z.enum(['inbound', 'outbound']),
      chunk: numeric,
      timestamp: numeric,
      payload: z.base64().min(1),
    }),
  }),
  z.object({ event: z.literal('mark'), streamSid: id, mark: z.object({ name: z.string() }) }),
  z.object({ event: z.literal('dtmf'), streamSid: id }),
  z.object({ event: z.literal('stop'), streamSid: id }),
]);
type TwilioMessage = z.infer<typeof twilioMessage>;
const EVENTS = new Set(['connected', 'start', 'media', 'mark', 'dtmf', 'stop']);

const TRACK_SPEAKER: Record<'inbound' | 'outbound', SpeakerRole> = { inbound: 'customer', outbound: 'agent' };

/** `principal` is undefined when the upgrade carried no token: the `start` message's `token` parameter must then. */
export function twilioSession(ctx: GatewayContext, principal: Principal | undefined): SessionHandler {
  let call: OpenCall | undefined;
  let streamSid: string | undefined;
  const reorder: Partial<Record<'inbound' | 'outbound', Reorderer>> = {};

  const finish = () => {
    if (!call) return;
    for (const track of ['inbound', 'outbound'] as const)
      for (const part of reorder[track]?.flush() ?? []) call.audio(TRACK_SPEAKER[track], part);
    call.end();
  };

  const handlers: { [K in TwilioMessage['event']]: (m: Extract<TwilioMessage, { event: K }>) => void } = {
    connected: () => {},
    start: (m) => {
      if (call) throw new ProtocolError(CLOSE.invalidPayload, 'duplicate-start', 'stream already started');
      const p = m.start.customParameters;
      const who = principal ?? authenticate(ctx.auth, p.token);
      if (!who) throw new ProtocolError(CLOSE.policy, 'unauthorized', 'missing or wrong token');
      const f = m.start.mediaFormat;
      if (f.encoding !== 'audio/x-mulaw' || f.sampleRate !== 8000 || f.channels !== 1)
        throw new ProtocolError(
          CLOSE.unsupported,
          'unsupported-codec',
          `media format ${f.encoding}/${f.sampleRate}/${f.channels} is not audio/x-mulaw 8000 Hz mono`,
        );
      streamSid = m.streamSid;
      try {
        call = ctx.calls.start(
          {
            callId: m.start.callSid,
            tenantId: p.tenant || 'default',
            agentId: p.agent || null,
            queue: p.queue || null,
          },
          'twilio',
          who,
        );
      } catch (err) {
        throw admissionError(err);
      }
    },
    media: (m) => {
      if (!call) throw new ProtocolError(CLOSE.invalidPayload, 'media-before-start', 'media before start');
      if (m.streamSid !== streamSid)
        throw new ProtocolError(CLOSE.unknownCall, 'unknown-stream', `unknown streamSid ${m.streamSid}`);
      const { track, chunk, timestamp, payload } = m.media;
      const samples = decodeFrames(Buffer.from(payload, 'base64'), 'mulaw', 1)[0]!;
      reorder[track] ??= new Reorderer(8000, 1);
      const r = reorder[track];
      const lostBefore = r.stats.lost;
      for (const part of r.push({ seq: chunk, timestampMs: timestamp, samples }))
        call.audio(TRACK_SPEAKER[track], part);
      if (r.stats.lost > lostBefore) ctx.metrics?.lostChunks.inc(r.stats.lost - lostBefore);
    },
    mark: () => {},
    dtmf: () => {},
    stop: () => finish(),
  };

  return {
    onText(text) {
      const { raw, kind: event } = parseTagged(text, 'event', EVENTS);
      const parsed = twilioMessage.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.join('.');
        if (where === 'media.payload')
          throw new ProtocolError(CLOSE.invalidPayload, 'bad-base64', 'media payload is not valid base64');
        throw new ProtocolError(
          CLOSE.invalidPayload,
          'invalid-message',
          `invalid ${event} message: ${where}: ${issue?.message}`,
        );
      }
      (handlers[parsed.data.event] as (m: TwilioMessage) => void)(parsed.data);
    },
    onBinary() {
      throw new ProtocolError(
        CLOSE.unsupported,
        'binary-not-supported',
        'Twilio Media Streams sends text messages only',
      );
    },
    onClose() {
      finish();
    },
  };
}

export function admissionError(err: unknown): ProtocolError {
  if (err instanceof CallAdmissionError) {
    if (err.reason === 'limit') return new ProtocolError(CLOSE.tryAgainLater, 'call-limit', err.message);
    if (err.reason === 'forbidden') return new ProtocolError(CLOSE.policy, 'tenant-forbidden', err.message);
    if (err.reason === 'unavailable')
      return new ProtocolError(CLOSE.tryAgainLater, 'scoring-unavailable', err.message);
    return new ProtocolError(CLOSE.duplicateCall, 'duplicate-call', err.message);
  }
  return err as ProtocolError;
}
