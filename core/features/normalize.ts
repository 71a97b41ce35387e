import { FeatureError } from './errors.ts';

/** np.finfo(float64).tiny: librosa.util.normalize leaves vectors with a smaller norm unscaled. */
export const TINY = 2.2250738585072014e-308;

/** numpy's x ** p, with the exact fast paths numpy takes for p = 1, 2 and 0.5. */
export function npPow(x: number, p: number): number {
  if (p === 1) return x;
  if (p === 2) return x * x;
  if (p === 0.5) return Math.sqrt(x);
  return x ** p;
}

/** Checks a librosa norm order: Infinity or a positive number. */
export function normOrder(name: string, norm: number): number {
  if (!(norm > 0)) throw new FeatureError('INVALID_OPTION', `${name} must be > 0 or Infinity, got ${norm}`);
  return norm;
}

/**
 * librosa.util.normalize(S, norm, axis=feature axis) over frame-major float64 frames in place:
 * each frame's `rows` values divided by their norm (max |x| for Infinity), unless it is below TINY.
 */
export function normalizeFrames(frames: Float64Array, rows: number, cols: number, norm: number): void {
  for (let t = 0; t < cols; t++) {
    const base = t * rows;
    let length = 0;
    if (norm === Number.POSITIVE_INFINITY) {
      for (let r = 0; r < rows; r++) length = Math.max(length, Math.abs(frames[base + r]!));
    } else {
      for (let r = 0; r < rows; r++) length += npPow(Math.abs(frames[base + r]!), norm);
      length = npPow(length, 1 / norm);
    }
    if (length < TINY) continue;
    for (let r = 0; r < rows; r++) frames[base + r] = frames[base + r]! / length;
  }
}
