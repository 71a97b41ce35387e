// A recording as the live pipeline hears a call: each speaker's audio at the scoring rate, in
// order, in chunks. Decoding (core/audio/decode.ts), role assignment (roles.ts) and resampling are
// streamed, so memory follows the chunk, not the recording.
import { decodeAudio } from '../audio/decode.ts';
import { StreamingResampler } from '../audio/resample.ts';
import type { SpeakerRole } from '../events/schema.ts';
import { RecordingError } from './errors.ts';
import { channelRoles, type RoleOptions } from './roles.ts';

/** One stretch of a call: the same span of audio for each speaker present (at `sampleRate`). */
export type SpeakerChunk = Partial<Record<SpeakerRole, Float32Array>>;

export interface RecordingAudioOptions extends RoleOptions {
  /** Rate the speakers' audio is delivered at (the scoring rate, 8000). */
  sampleRate: number;
  /** Longest recording accepted (default 4 h): a bound on work and memory per call. */
  maxDurationMs?: number;
}

export const DEFAULT_MAX_DURATION_MS = 4 * 3_600_000;

/** Decodes `bytes` and yields each speaker's audio at `options.sampleRate`, in order. */
export async function* speakerAudio(
  bytes: Uint8Array,
  options: RecordingAudioOptions,
): AsyncGenerator<SpeakerChunk> {
  let roles: SpeakerRole[] | undefined;
  let resamplers: StreamingResampler[] = [];
  let frames = 0;
  let maxFrames = Number.POSITIVE_INFINITY;
  const maxMs = options.maxDurationMs ?? DEFAULT_MAX_DURATION_MS;
  const toChunk = (per: Float32Array[]): SpeakerChunk =>
    Object.fromEntries(per.map((x, i) => [roles![i], x])) as SpeakerChunk;
  for await (const chunk of decodeAudio(bytes)) {
    if (!roles) {
      roles = channelRoles(chunk.channels.length, options);
      resamplers = chunk.channels.map(() => new StreamingResampler(chunk.sampleRate, options.sampleRate));
      maxFrames = (maxMs * chunk.sampleRate) / 1000;
    }
    frames += chunk.channels[0]!.length;
    if (frames > maxFrames)
      throw new RecordingError('TOO_LONG', `longer than ${maxMs / 3_600_000} h (the limit per recording)`);
    yield toChunk(chunk.channels.map((x, i) => resamplers[i]!.push(x)));
  }
  if (roles) yield toChunk(resamplers.map((r) => r.flush()));
}
