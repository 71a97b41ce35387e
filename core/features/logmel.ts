import type { PowerToDbOptions } from './db.ts';
import { powerToDbInPlace, resolveDb } from './db.ts';
import type { FeatureMatrix } from './matrix.ts';
import { framesToMatrix } from './matrix.ts';
import type { MelSpectrogramOptions } from './mel.ts';
import { melFrames } from './mel.ts';

export type LogMelOptions = MelSpectrogramOptions & PowerToDbOptions;

/** power_to_db(melspectrogram(y)) of every frame, frame-major float64. */
export function logMelFrames(
  y: Float32Array,
  options: LogMelOptions,
): { frames: Float64Array; nMels: number; cols: number } {
  const db = resolveDb(options);
  const mel = melFrames(y, options);
  powerToDbInPlace(mel.frames, db);
  return mel;
}

/**
 * librosa.power_to_db(librosa.feature.melspectrogram(y=y, ...), ref=..., amin=..., top_db=...),
 * with the mel power kept in float64 up to the log (no float32 round trip in between).
 */
export function logMelSpectrogram(y: Float32Array, options: LogMelOptions): FeatureMatrix {
  const { frames, nMels, cols } = logMelFrames(y, options);
  return framesToMatrix(frames, nMels, cols);
}
