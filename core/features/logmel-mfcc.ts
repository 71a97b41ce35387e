import type { FeatureConfig } from './config.ts';
import { refDb, resolveDb, toDbInPlace } from './db.ts';
import { FeatureError, requireFiniteAudio } from './errors.ts';
import type { FeatureMatrix } from './matrix.ts';
import type { MelFilterbank } from './mel.ts';
import { applyMel, resolveMel, sharedMelFilterbank } from './mel.ts';
import { Dct } from './mfcc.ts';
import { frameCount, PowerSpectrum, resolveStft } from './stft.ts';

/**
 * The fused per-frame log-mel + MFCC computation for a FeatureConfig: call run() on a frame, read
 * `logMel` and `mfcc`. Every step is the same code the librosa-named batch functions use, so its
 * output equals theirs bit for bit.
 */
export class LogMelMfccFrame {
  readonly logMel: Float64Array;
  readonly mfcc: Float64Array;
  private readonly spectrum: PowerSpectrum;
  private readonly power: Float64Array;
  private readonly fb: MelFilterbank;
  private readonly dct: Dct;
  private readonly amin: number;
  private readonly offset: number;

  constructor(readonly config: FeatureConfig) {
    const stft = resolveStft(config);
    if (config.topDb !== null || typeof config.ref !== 'number') {
      throw new FeatureError('INVALID_OPTION', 'frame-wise log-mel needs a numeric ref and topDb null');
    }
    const db = resolveDb(config);
    this.spectrum = new PowerSpectrum(stft, 2);
    this.fb = sharedMelFilterbank(resolveMel(config, stft.nFft));
    this.dct = new Dct(config.nMfcc, config.nMels, config.lifter);
    this.power = new Float64Array(this.spectrum.bins);
    this.logMel = new Float64Array(config.nMels);
    this.mfcc = new Float64Array(config.nMfcc);
    this.amin = db.amin;
    this.offset = refDb(config.ref, db.amin);
  }

  /** The frame of nFft samples from `start` (see PowerSpectrum.compute for the arguments). */
  run(src: Float32Array, srcStart: number, end: number, start: number): void {
    this.spectrum.compute(src, srcStart, end, start, this.power);
    applyMel(this.fb, this.power, 0, this.logMel, 0);
    toDbInPlace(this.logMel, 0, this.logMel.length, this.amin, this.offset);
    this.dct.apply(this.logMel, 0, this.mfcc, 0);
  }
}

/** Log-mel and MFCC matrices of the same frames. */
export interface LogMelMfcc {
  logMel: FeatureMatrix;
  mfcc: FeatureMatrix;
}

/** Writes the frame's current log-mel and MFCC into column t of both outputs. */
export function storeFrame(p: LogMelMfccFrame, out: LogMelMfcc, t: number): void {
  const { logMel, mfcc } = out;
  for (let m = 0; m < logMel.rows; m++) logMel.data[m * logMel.cols + t] = p.logMel[m]!;
  for (let k = 0; k < mfcc.rows; k++) mfcc.data[k * mfcc.cols + t] = p.mfcc[k]!;
}

export function allocateLogMelMfcc(config: FeatureConfig, cols: number): LogMelMfcc {
  return {
    logMel: { rows: config.nMels, cols, data: new Float32Array(config.nMels * cols) },
    mfcc: { rows: config.nMfcc, cols, data: new Float32Array(config.nMfcc * cols) },
  };
}

/**
 * Batch log-mel and MFCC of a whole signal in one pass: equal to logMelSpectrogram(y, config) and
 * mfcc(y, config), and to what StreamingFeatureExtractor yields for the same samples.
 */
export function extractLogMelMfcc(y: Float32Array, config: FeatureConfig): LogMelMfcc {
  requireFiniteAudio(y);
  const p = new LogMelMfccFrame(config);
  const cols = frameCount(y.length, config.nFft, config.hopLength, config.center);
  const out = allocateLogMelMfcc(config, cols);
  const pad = config.center ? config.nFft >> 1 : 0;
  for (let t = 0; t < cols; t++) {
    p.run(y, 0, y.length, t * config.hopLength - pad);
    storeFrame(p, out, t);
  }
  return out;
}
