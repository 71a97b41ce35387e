// Window sampling over frame features for training: random crops and SpecAugment-style time masks.
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
