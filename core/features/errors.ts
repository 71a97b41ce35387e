import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '../audio/wav.ts';
import { VoicePulseError } from '../errors.ts';

/** Why a feature computation refused its input or options. */
export type FeatureErrorCode = 'INVALID_OPTION' | 'INVALID_INPUT' | 'SIGNAL_TOO_SHORT' | 'STREAM_ENDED';

/** Bad options or audio given to a feature function: a clear typed error instead of garbage output. */
export class FeatureError extends VoicePulseError<FeatureErrorCode> {}

export function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new FeatureError('INVALID_OPTION', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function positiveNumber(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new FeatureError('INVALID_OPTION', `${name} must be a positive finite number, got ${value}`);
  }
  return value;
}

/** A sample rate the audio core accepts (MIN_SAMPLE_RATE..MAX_SAMPLE_RATE Hz); others are a typo, not audio. */
export function sampleRate(name: string, value: number): number {
  if (!Number.isFinite(value) || value < MIN_SAMPLE_RATE || value > MAX_SAMPLE_RATE) {
    throw new FeatureError(
      'INVALID_OPTION',
      `${name} must be a sample rate in ${MIN_SAMPLE_RATE}..${MAX_SAMPLE_RATE} Hz, got ${value}`,
    );
  }
  return value;
}

export function finiteNumber(name: string, value: number): number {
  if (!Number.isFinite(value))
    throw new FeatureError('INVALID_OPTION', `${name} must be finite, got ${value}`);
  return value;
}

/** librosa.util.valid_audio: the samples must all be finite. */
export function requireFiniteAudio(y: Float32Array): void {
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]!)) {
      throw new FeatureError('INVALID_INPUT', `audio sample ${i} is not finite (${y[i]})`);
    }
  }
}
