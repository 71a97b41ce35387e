// Window sampling over frame descriptors for training: random crops, SpecAugment-style time masks
// (frames left out of the statistics) and band masks (mel-band statistics reset to the mean).
import type { FeatureMatrix } from '../core/features/matrix.ts';
import type { FrontendConfig } from '../core/model/frontend.ts';
import { windowFunctionals } from '../core/model/functionals.ts';
import type { Random } from '../core/random.ts';

export interface CropOptions {
  lengthFrames: number;
  hopFrames: number;
}

/** Random crops of a clip: one per hop of its length beyond a window, at least one. */
export function randomCrops(cols: number, opts: CropOptions, random: Random): Array<[number, number]> {
  if (cols <= opts.lengthFrames) return [[0, cols]];
  const count = 1 + Math.floor((cols - opts.lengthFrames) / opts.hopFrames);
  return Array.from({ length: count }, () => {
    const start = Math.floor(random() * (cols - opts.lengthFrames + 1));
    return [start, start + opts.lengthFrames] as [number, number];
  });
}

/** Up to two time masks, each at most 15 % of the window; always keeps half of the frames. */
export function timeMask(frames: number, random: Random): Uint8Array {
  const keep = new Uint8Array(frames).fill(1);
  const masks = Math.floor(random() * 3);
  for (let m = 0; m < masks; m++) {
    const width = Math.floor(random() * 0.15 * frames);
    const start = Math.floor(random() * Math.max(1, frames - width));
    keep.fill(0, start, start + width);
  }
  return keep;
}

/**
 * The normalised descriptor of a masked random window; a band mask of up to 8 mel bands sets
 * those bands' normalised statistics to 0 (the training mean).
 */
export function augmentedDescriptor(
  lld: FeatureMatrix,
  cfg: FrontendConfig,
  crop: [number, number],
  mean: Float32Array,
  std: Float32Array,
  random: Random,
): Float32Array {
  const keep = timeMask(crop[1] - crop[0], random);
  const v = normalise(windowFunctionals(lld, cfg, crop[0], crop[1], keep), mean, std);
  if (random() < 0.5) {
    const width = 1 + Math.floor(random() * 8);
    const start = Math.floor(random() * (cfg.nMels - width));
    for (let m = start; m < start + width; m++) {
      // The three per-band statistics (shape, spread, change) lead the descriptor.
      for (let k = 0; k < 3; k++) v[k * cfg.nMels + m] = 0;
    }
  }
  return v;
}

export function normalise(v: Float32Array, mean: Float32Array, std: Float32Array): Float32Array {
  return Float32Array.from(v, (x, i) => (x - mean[i]!) / std[i]!);
}
