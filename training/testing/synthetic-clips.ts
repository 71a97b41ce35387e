// Synthetic labelled clips and their mel frames, for the TDNN training and pipeline tests.
import type { CorpusClip } from '../../core/corpora/clip.ts';
import { EMOTIONS } from '../../core/emotions.ts';
import type { FeatureMatrix } from '../../core/features/matrix.ts';
import { gaussian, seededRandom } from '../../core/random.ts';
import type { LabeledClip } from '../dataset.ts';

export const MELS = 16;

/** Class c modulates mel bands 2c..2c+1 at 4 Hz on top of noise: learnable only from frame dynamics. */
function syntheticMel(label: number, seed: string): FeatureMatrix {
  const random = seededRandom(seed);
  const cols = 120 + Math.floor(random() * 100);
  const data = new Float32Array(MELS * cols);
  for (let m = 0; m < MELS; m++)
    for (let t = 0; t < cols; t++) {
      const signal = Math.floor(m / 2) === label ? 8 * Math.sin((2 * Math.PI * 4 * t) / 100) : 0;
      data[m * cols + t] = -40 + 3 * m + signal + gaussian(random);
    }
  return { rows: MELS, cols, data };
}

export function syntheticClips(): { clips: LabeledClip[]; mels: Map<string, FeatureMatrix> } {
  const clips: LabeledClip[] = [];
  const mels = new Map<string, FeatureMatrix>();
  for (let i = 0; i < 96; i++) {
    const label = i % EMOTIONS.length;
    const split = i < 72 ? 'train' : 'validation';
    const clip: CorpusClip = {
      corpus: i % 2 ? 'ravdess' : 'tess',
      path: `c${i}.wav`,
      speaker: `s${i % 4}`,
      label: EMOTIONS[label]!,
      emotion: EMOTIONS[label]!,
    };
    clips.push({ clip, emotion: EMOTIONS[label]!, label, split });
    mels.set(clip.path, syntheticMel(label, clip.path));
  }
  return { clips, mels };
}
