// Frame-level descriptors (low-level descriptors, LLDs) of 8 kHz call audio: log-mel bands, MFCCs,
// frame energy, pitch and voicing. The network reads the log-mel and prosody rows (windows.ts);
// training caches the full descriptors.
import { VoicePulseError } from '../errors.ts';
import { type FeatureConfig, TELEPHONY_FEATURES } from '../features/config.ts';
import { logMelFrames } from '../features/logmel.ts';
import { type FeatureMatrix, framesToMatrix, writeFrames } from '../features/matrix.ts';
import { mfcc } from '../features/mfcc.ts';
import { rms } from '../features/temporal.ts';
import { trackPitch } from './pitch.ts';

/** The product's log-mel/MFCC configuration plus the pitch tracker's frame stride. */
export interface FrontendConfig extends FeatureConfig {
  /** The pitch tracker runs every pitchStride frames; its values are held in between. */
  readonly pitchStride: number;
}

export const DEFAULT_FRONTEND: FrontendConfig = Object.freeze({ ...TELEPHONY_FEATURES, pitchStride: 3 });

/** Row layout of the descriptor matrix. */
export function descriptorRows(cfg: FrontendConfig) {
  const mel = 0;
  const mfccRow = cfg.nMels;
  const energy = mfccRow + cfg.nMfcc - 1;
  return { mel, mfcc: mfccRow, energy, f0: energy + 1, voicing: energy + 2, rows: energy + 3 };
}

export type FrontendErrorCode =
  /** Audio shorter than one FFT frame. */
  | 'AUDIO_TOO_SHORT'
  /** The energy and log-mel frames disagree in number (a frontend configuration error). */
  | 'FRAME_MISMATCH';

export class FrontendError extends VoicePulseError<FrontendErrorCode> {}

/**
 * Descriptors of mono audio at cfg.sr: rows per descriptorRows, one column per hop (frame t
 * centred on sample t·hopLength). F0 is in semitones above 55 Hz, 0 when unvoiced.
 */
export function frameDescriptors(
  samples: Float32Array,
  cfg: FrontendConfig = DEFAULT_FRONTEND,
): FeatureMatrix {
  const mel = checkedLogMel(samples, cfg);
  const logMel = framesToMatrix(mel.frames, mel.nMels, mel.cols);
  // From the float32 log-mel, as training has always computed them.
  const cep = mfcc(logMel, { nMfcc: cfg.nMfcc, lifter: cfg.lifter });
  const layout = descriptorRows(cfg);
  const cols = logMel.cols;
  const data = new Float32Array(layout.rows * cols);
  data.set(logMel.data.subarray(0, cfg.nMels * cols), layout.mel * cols);
  data.set(cep.data.subarray(cols, cfg.nMfcc * cols), layout.mfcc * cols);
  writeProsody(samples, cfg, data, layout.energy, cols);
  return { rows: layout.rows, cols, data };
}

/**
 * The descriptor rows without the MFCCs: log-mel bands, then frame energy, F0 and voicing (the
 * last three rows, as in frameDescriptors). What the prosody TDNN reads; the MFCCs would cost
 * ~10 % of its inference time for nothing.
 */
export function melProsody(samples: Float32Array, cfg: FrontendConfig = DEFAULT_FRONTEND): FeatureMatrix {
  const { frames, cols } = checkedLogMel(samples, cfg);
  const data = new Float32Array((cfg.nMels + 3) * cols);
  writeFrames(frames, cfg.nMels, cols, data);
  writeProsody(samples, cfg, data, cfg.nMels, cols);
  return { rows: cfg.nMels + 3, cols, data };
}

/** Log-mel frames, frame-major float64 (logMelFrames). */
function checkedLogMel(samples: Float32Array, cfg: FrontendConfig) {
  if (samples.length < cfg.nFft)
    throw new FrontendError('AUDIO_TOO_SHORT', `need at least ${cfg.nFft} samples, got ${samples.length}`);
  return logMelFrames(samples, cfg);
}

/** Energy (dBFS), F0 (semitones above 55 Hz, 0 unvoiced) and voicing into rows row0..row0+2 of `data`. */
function writeProsody(
  samples: Float32Array,
  cfg: FrontendConfig,
  data: Float32Array,
  row0: number,
  cols: number,
): void {
  const pitch = trackPitch(samples, { sr: cfg.sr, hopLength: cfg.hopLength * cfg.pitchStride });
  // Frame RMS over the FFT span (same centring as the mel frames), in dBFS.
  const energy = rms(samples, { frameLength: cfg.nFft, hopLength: cfg.hopLength, center: cfg.center });
  if (energy.cols !== cols)
    throw new FrontendError('FRAME_MISMATCH', `rms gave ${energy.cols} frames, log-mel ${cols}`);
  for (let t = 0; t < cols; t++) {
    data[row0 * cols + t] = 20 * Math.log10(energy.data[t]! + 1e-5);
    const p = Math.min(pitch.f0Hz.length - 1, Math.floor(t / cfg.pitchStride));
    const f0 = pitch.f0Hz[p]!;
    data[(row0 + 1) * cols + t] = f0 > 0 ? 12 * Math.log2(f0 / 55) : 0;
    data[(row0 + 2) * cols + t] = pitch.voicing[p]!;
  }
}
