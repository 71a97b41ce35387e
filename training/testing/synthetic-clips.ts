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

/**
 * Clips whose class is only their loudness: class c is 6·c dB louder in every band and in energy than
 * the clip's speaker's usual level (speakers ±2 dB apart), with frame descriptors' prosody rows
 * (energy, F0, voicing; every frame voiced). A window's own means remove the class; a speaker's do not.
 */
export function loudnessClips(): { clips: LabeledClip[]; mels: Map<string, FeatureMatrix> } {
  const clips: LabeledClip[] = [];
  const mels = new Map<string, FeatureMatrix>();
  for (let i = 0; i < 144; i++) {
    const label = i % EMOTIONS.length;
    const speaker = Math.floor(i / EMOTIONS.length) % 4;
    const level = 2 * (speaker - 1.5) + 6 * label;
    const random = seededRandom(`loud${i}`);
    const cols = 150 + Math.floor(random() * 100);
    const rows = MELS + 3;
    const data = new Float32Array(rows * cols);
    for (let t = 0; t < cols; t++) {
      for (let m = 0; m < MELS; m++) data[m * cols + t] = -40 + 3 * m + level + gaussian(random);
      data[MELS * cols + t] = -30 + level + gaussian(random);
      data[(MELS + 1) * cols + t] = 50 + speaker + gaussian(random);
      data[(MELS + 2) * cols + t] = 1;
    }
    const clip: CorpusClip = {
      corpus: 'ravdess',
      path: `loud${i}.wav`,
      speaker: `s${speaker}`,
      label: EMOTIONS[label]!,
      emotion: EMOTIONS[label]!,
    };
    clips.push({ clip, emotion: EMOTIONS[label]!, label, split: i < 108 ? 'train' : 'validation' });
    mels.set(clip.path, { rows, cols, data });
  }
  return { clips, mels };
}
