// The start of a call, whatever the protocol: who the call is (core/calls) and how its audio comes
// (codec, rate, which speaker each channel carries, how channels share a message). Every adapter
// maps its protocol's start message onto this shape and the session validates it here, once: a
// schema, not per-protocol checks. Its refusals: UNSUPPORTED_CODEC for a codec or rate we do not
// decode, INVALID_MESSAGE for anything else, naming the field.
import { z } from 'zod';
import { callMetaSchema } from '../../../core/calls/meta.ts';
import { SPEAKER_ROLES } from '../../../core/events/schema.ts';
import { CODECS } from './codec.ts';
import { IngressError } from './errors.ts';

export const FRAMINGS = ['interleaved', 'tagged'] as const;

/** The rates audio may arrive at; anything but 8 kHz is resampled to it (PCM16 only). */
export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48_000;

const mediaSchema = z
  .strictObject({
    codec: z.enum(CODECS),
    sampleRate: z.number().int().min(MIN_SAMPLE_RATE).max(MAX_SAMPLE_RATE),
    /** Speaker of each channel, in channel order. */
    channels: z
      .array(z.enum(SPEAKER_ROLES))
      .min(1)
      .max(2)
      .refine((c) => new Set(c).size === c.length, 'each speaker at most once'),
    /** interleaved: each binary message holds whole frames of all channels; tagged: byte 0 names the channel. */
    framing: z.enum(FRAMINGS),
  })
  .refine((m) => m.codec === 'pcm16' || m.sampleRate === 8000, {
    path: ['sampleRate'],
    message: 'G.711 (mulaw, alaw) is defined at 8000 Hz only',
  });

export const callStartSchema = z.strictObject({ meta: callMetaSchema, media: mediaSchema });

export type CallStart = z.infer<typeof callStartSchema>;
export type MediaFormat = CallStart['media'];

/** Validates a start; throws IngressError naming the first problem by `fieldName` of its path. */
export function parseCallStart(input: unknown, fieldName: (path: string) => string = (p) => p): CallStart {
  const parsed = callStartSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.');
  // An unknown codec, or G.711 at another rate, is "we do not decode that", not "malformed".
  const codec = path === 'media.codec' || (path === 'media.sampleRate' && issue.code === 'custom');
  throw new IngressError(
    codec ? 'UNSUPPORTED_CODEC' : 'INVALID_MESSAGE',
    `invalid start: ${fieldName(path)}: ${issue.message}`,
  );
}
