import { FeatureError, positiveNumber } from './errors.ts';
import type { FeatureMatrix } from './matrix.ts';

/** librosa.power_to_db's options. */
export interface PowerToDbOptions {
  /** Reference power (0 dB), or 'max' for the largest value of the input. Default 1. */
  ref?: number | 'max';
  /** Floor applied to powers and the reference before the log. Default 1e-10. */
  amin?: number;
  /** Clamp to (max dB - topDb); null disables it. Default 80. */
  topDb?: number | null;
}

export interface DbParams {
  ref: number | 'max';
  amin: number;
  topDb: number | null;
}

export function resolveDb(options: PowerToDbOptions = {}): DbParams {
  const ref = options.ref ?? 1;
  if (ref !== 'max' && !Number.isFinite(ref)) {
    throw new FeatureError('INVALID_OPTION', `ref must be a finite number or 'max', got ${ref}`);
  }
  const amin = positiveNumber('amin', options.amin ?? 1e-10);
  const topDb = options.topDb === undefined ? 80 : options.topDb;
  if (topDb !== null && !(topDb >= 0 && Number.isFinite(topDb))) {
    throw new FeatureError('INVALID_OPTION', `topDb must be a non-negative number or null, got ${topDb}`);
  }
  return { ref, amin, topDb };
}

/** 10 * log10(max(amin, |ref|)): the dB value subtracted from every element. */
export function refDb(ref: number, amin: number): number {
  return 10 * Math.log10(Math.max(amin, Math.abs(ref)));
}

/** In place over values[from, to): 10 * log10(max(amin, v)) - offset, the per-element part of power_to_db. */
export function toDbInPlace(
  values: Float64Array,
  from: number,
  to: number,
  amin: number,
  offset: number,
): void {
  for (let i = from; i < to; i++) values[i] = 10 * Math.log10(Math.max(amin, values[i]!)) - offset;
}

/** librosa.power_to_db over a whole float64 array, in place (ref 'max' and topDb look at every value). */
export function powerToDbInPlace(values: Float64Array, params: DbParams): void {
  let offset: number;
  if (params.ref === 'max') {
    // librosa takes np.max(S) here, without the abs it applies to a numeric ref.
    let max = Number.NEGATIVE_INFINITY;
    for (const v of values) if (v > max) max = v;
    offset = 10 * Math.log10(Math.max(params.amin, max));
  } else {
    offset = refDb(params.ref, params.amin);
  }
  toDbInPlace(values, 0, values.length, params.amin, offset);
  if (params.topDb !== null) {
    let max = Number.NEGATIVE_INFINITY;
    for (const v of values) if (v > max) max = v;
    const floor = max - params.topDb;
    for (let i = 0; i < values.length; i++) if (values[i]! < floor) values[i] = floor;
  }
}

/** librosa.power_to_db(S, ref=..., amin=..., top_db=...), computed in float64. */
export function powerToDb(S: FeatureMatrix, options: PowerToDbOptions = {}): FeatureMatrix {
  const values = Float64Array.from(S.data);
  powerToDbInPlace(values, resolveDb(options));
  return { rows: S.rows, cols: S.cols, data: Float32Array.from(values) };
}
