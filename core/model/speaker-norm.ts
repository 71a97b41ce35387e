// How loud and how high a speaker is against their own usual (issue 16's per-speaker adaptation).
// Each window's input is normalised by the window's own means (windows.ts), which cancels the line's
// gain and colouring but also the one thing that says "this speaker is agitated": speaking louder or
// higher than they do otherwise. A network with `speakerOffsets` gets it back as three channels, the
// same in every frame of the window: the window's mean energy and voiced F0 minus the running mean of
// the speaker's voiced frames so far (the window's own included, nothing after it), and how much of
// that mean is the speaker's own rather than the prior it starts from (the training speakers' mean,
// weighted as `frames` voiced frames). Busso et al. (IEEE TAC 2013) normalise by the speaker's
// neutral-like speech; a live call only has the speech so far, and says how much of it there is.
// Only voiced frames (F0 > 0) count, so pauses and line noise leave the mean where it was.
// With a neutral gate (the prior's `neutralGate`) that is what the running mean holds too: a window is
// measured against the windows before it that were scored neutral-like, and its own frames join the
// mean only after it is scored, and only if its neutral probability reaches the gate. A call angry
// from its first second is then measured against the prior, not against its own anger.
import type { FeatureMatrix } from '../features/matrix.ts';
import { TdnnError } from './tdnn.ts';

/** The speaker's mean before they have spoken. */
export interface SpeakerPrior {
  /** Energy (dB) and F0 (semitones): the mean of the training speakers' voiced frames. */
  mean: Float32Array;
  /** How many of the speaker's own voiced frames the prior weighs as. */
  frames: number;
  /**
   * Neutral probability at which a scored window's frames join the speaker's statistics; absent:
   * every window's frames join before it is measured.
   */
  neutralGate?: number;
}

/** Channels a prior holds: energy and F0. */
export const PRIOR_CHANNELS = 2;

/** What windowInput's speaker channels are measured against. */
export interface SpeakerCentre {
  energy: number;
  f0: number;
  /** Share of the centre that is the speaker's own frames (0: the prior alone). */
  own: number;
}

/** The running voiced-frame sums of one speaker. */
export class SpeakerStats {
  #energy = 0;
  #f0 = 0;
  #voiced = 0;

  constructor(private readonly prior: SpeakerPrior) {
    if (prior.mean.length !== PRIOR_CHANNELS)
      throw new TdnnError(
        'BAD_INPUT',
        `a speaker prior holds ${PRIOR_CHANNELS} means, not ${prior.mean.length}`,
      );
  }

  /** Voiced frames counted so far. */
  get voiced(): number {
    return this.#voiced;
  }

  /** Counts frames [from, to) of frame descriptors (energy, F0 and voicing are their last rows). */
  add(features: FeatureMatrix, from: number, to: number): void {
    const { cols, rows, data } = features;
    const f0Row = (rows - 2) * cols;
    const energyRow = (rows - 3) * cols;
    for (let t = Math.max(0, from); t < Math.min(to, cols); t++) {
      const f0 = data[f0Row + t]!;
      if (!(f0 > 0)) continue;
      this.#energy += data[energyRow + t]!;
      this.#f0 += f0;
      this.#voiced++;
    }
  }

  /** Adds another's counts (training: a speaker's other clips). */
  merge(other: SpeakerStats): void {
    this.#energy += other.#energy;
    this.#f0 += other.#f0;
    this.#voiced += other.#voiced;
  }

  /** The prior and the frames so far, weighted by count. */
  centre(): SpeakerCentre {
    const { mean, frames } = this.prior;
    const n = frames + this.#voiced;
    if (!(n > 0)) return { energy: mean[0]!, f0: mean[1]!, own: 0 };
    return {
      energy: (frames * mean[0]! + this.#energy) / n,
      f0: (frames * mean[1]! + this.#f0) / n,
      own: this.#voiced / n,
    };
  }
}

/** The statistics of frames [from, to) alone (prior of weight 0). */
export function voicedStats(features: FeatureMatrix, from = 0, to = features.cols): SpeakerStats {
  const stats = new SpeakerStats({ mean: new Float32Array(PRIOR_CHANNELS), frames: 0 });
  stats.add(features, from, to);
  return stats;
}
