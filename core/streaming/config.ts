// Live windowing and smoothing settings shared by the workers and the offline reference scorer.
import { z } from 'zod';

export const streamingConfigSchema = z
  .strictObject({
    /** Sample rate the model scores at; every ingress resamples to it. */
    sampleRate: z.literal(8000),
    /** Scored window length and hop between window starts. */
    windowMs: z.number().int().min(500).max(10_000),
    hopMs: z.number().int().min(100).max(10_000),
    /** VAD analysis frame; window and hop must be whole numbers of frames. */
    vadFrameMs: z.number().int().min(10).max(50),
    /** Windows with less speech than this share of VAD frames are not scored. */
    minSpeechRatio: z.number().min(0).max(1),
    /** Weight of the newest window in the exponential moving averages (1 = no smoothing). */
    emaAlpha: z.number().gt(0).max(1),
  })
  .refine((c) => c.hopMs <= c.windowMs, { message: 'hopMs must not exceed windowMs' })
  .refine((c) => c.windowMs % c.vadFrameMs === 0 && c.hopMs % c.vadFrameMs === 0, {
    message: 'windowMs and hopMs must be multiples of vadFrameMs',
  });
export type StreamingConfig = z.infer<typeof streamingConfigSchema>;

/** 2 s windows every 1 s: long enough for prosody, one fresh score per second per speaker. */
export const DEFAULT_STREAMING: StreamingConfig = Object.freeze({
  sampleRate: 8000,
  windowMs: 2000,
  hopMs: 1000,
  vadFrameMs: 20,
  minSpeechRatio: 0.25,
  emaAlpha: 0.5,
});

/** Validates a (partial) configuration over the defaults; throws a ZodError naming each bad field. */
export function streamingConfig(overrides: Partial<StreamingConfig> = {}): StreamingConfig {
  return streamingConfigSchema.parse({ ...DEFAULT_STREAMING, ...overrides });
}

export function samplesFor(ms: number, config: StreamingConfig): number {
  return Math.round((ms * config.sampleRate) / 1000);
}
