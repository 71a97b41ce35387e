// Live windowing and smoothing settings shared by the scoring threads, classify and recordings. The
// window and hop belong to the model (its manifest): a deployment may leave them out of its
// settings, and the live path fills them in from the loaded model (modelStreaming); one that sets
// them must agree with the model, or the model does not load.
import { z } from 'zod';
import { VoicePulseError } from '../errors.ts';

export type StreamingConfigErrorCode =
  /** Settings whose window or hop differ from the model's. */
  | 'WINDOW_MISMATCH'
  /** Settings the schema rejects (e.g. a hop longer than the window). */
  | 'INVALID_SETTINGS';

export class StreamingConfigError extends VoicePulseError<StreamingConfigErrorCode> {}

export const streamingConfigSchema = z
  .strictObject({
    /** Sample rate the model scores at; every ingress resamples to it. */
    sampleRate: z.literal(8000),
    /** Scored window length and hop between window starts (the model's). */
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

type Window = Pick<StreamingConfig, 'windowMs' | 'hopMs'>;

/** Settings as a deployment configures them: without a window and hop, the model's are used. */
export type StreamingSettings = Omit<StreamingConfig, keyof Window> & Partial<Window>;

/** The live service's defaults: the window and hop come from the model. */
export const DEFAULT_SETTINGS: StreamingSettings = Object.freeze({
  sampleRate: 8000,
  vadFrameMs: 20,
  minSpeechRatio: 0.25,
  emaAlpha: 0.5,
});

/**
 * The defaults with the committed model's window (2 s every 1 s: long enough for prosody, one fresh
 * score per second per speaker), for callers that have no model at hand (tests, tools).
 */
export const DEFAULT_STREAMING: StreamingConfig = Object.freeze({
  ...DEFAULT_SETTINGS,
  windowMs: 2000,
  hopMs: 1000,
});

/** Validates a (partial) configuration over DEFAULT_STREAMING; throws a ZodError naming each bad field. */
export function streamingConfig(overrides: Partial<StreamingConfig> = {}): StreamingConfig {
  return streamingConfigSchema.parse({ ...DEFAULT_STREAMING, ...overrides });
}

/**
 * The configuration that scores a model whose window is `window`: `settings` with the model's window
 * and hop. A window or hop in `settings` must equal the model's (WINDOW_MISMATCH otherwise: a 3 s
 * model must not be scored on 2 s windows); invalid results are INVALID_SETTINGS.
 */
export function modelStreaming(settings: StreamingSettings, window: Window): StreamingConfig {
  const configured = `${settings.windowMs ?? window.windowMs} ms every ${settings.hopMs ?? window.hopMs} ms`;
  const model = `${window.windowMs} ms every ${window.hopMs} ms`;
  if (configured !== model)
    throw new StreamingConfigError(
      'WINDOW_MISMATCH',
      `the configured window (${configured}) differs from the model's (${model})`,
    );
  const parsed = streamingConfigSchema.safeParse({ ...settings, ...window });
  if (!parsed.success)
    throw new StreamingConfigError(
      'INVALID_SETTINGS',
      `window ${window.windowMs} ms / hop ${window.hopMs} ms: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  return parsed.data;
}

export function samplesFor(ms: number, config: StreamingConfig): number {
  return Math.round((ms * config.sampleRate) / 1000);
}
