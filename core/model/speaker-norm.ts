// Causal per-speaker input normalisation (issue 16): a window's mel bands, energy and F0 are centred
// on the running mean of its speaker's voiced frames so far (the window's own included, nothing
// after it), started from a prior (the training speakers' mean, weighted as `frames` voiced frames),
// instead of on the window's own mean. What it keeps that the window's mean removes: a speaker louder,
// higher or brighter than their usual is what arousal sounds like, and a window of one emotion loses
// it once normalised by itself. What it still removes: the speaker's and the line's constant colouring,
// once the call has lasted a few seconds (Busso et al., IEEE TAC 2013, normalise by the speaker's
// neutral-like speech; here by all voiced speech, the only statistic a live call has).
// Only voiced frames (F0 > 0) count, so pauses and line noise between utterances leave the centre
// where it was. Needs a prosody network: voicing comes from its F0 row.
import type { FeatureMatrix } from '../features/matrix.ts';
import { type TdnnConfig, TdnnError } from './tdnn.ts';

/** The centre before a speaker has spoken: per normalised channel, and its weight. */
export interface SpeakerPrior {
  /** Mel bands [0, nMels), then energy (dB) and F0 (semitones): the mean of the training speakers' voiced frames. */
  mean: Float32Array;
  /** How many voiced frames of the speaker's own the prior weighs as. */
  frames: number;
}

/** Channels a speaker's statistics centre: the mel bands, energy and F0. */
export const normalisedChannels = (cfg: TdnnConfig): number => cfg.nMels + 2;

/** The running voiced-frame sums of one speaker; `centre` gives windowInput's centre. */
export class SpeakerStats {
  readonly #sums: Float64Array;
  #voiced = 0;

  constructor(
    private readonly cfg: TdnnConfig,
    private readonly prior: SpeakerPrior,
  ) {
    if (!cfg.prosody)
      throw new TdnnError('BAD_INPUT', 'per-speaker normalisation needs a prosody network (voicing from F0)');
    if (prior.mean.length !== normalisedChannels(cfg))
      throw new TdnnError(
        'BAD_INPUT',
        `a speaker prior of ${prior.mean.length} channels for a network that centres ${normalisedChannels(cfg)}`,
      );
    this.#sums = new Float64Array(normalisedChannels(cfg));
  }

  /** Voiced frames counted so far. */
  get voiced(): number {
    return this.#voiced;
  }

  /** Their per-channel sums (a copy). */
  get sums(): Float64Array {
    return this.#sums.slice();
  }

  /** Counts frames [from, to) of frame descriptors (log-mel rows first, then energy, F0, voicing). */
  add(features: FeatureMatrix, from: number, to: number): void {
    const { nMels } = this.cfg;
    const { cols, rows, data } = features;
    const f0Row = (rows - 2) * cols;
    const energyRow = (rows - 3) * cols;
    for (let t = Math.max(0, from); t < Math.min(to, cols); t++) {
      const f0 = data[f0Row + t]!;
      if (!(f0 > 0)) continue;
      for (let m = 0; m < nMels; m++) this.#sums[m]! += data[m * cols + t]!;
      this.#sums[nMels]! += data[energyRow + t]!;
      this.#sums[nMels + 1]! += f0;
      this.#voiced++;
    }
  }

  /** Adds sums of voiced frames counted elsewhere (training: a speaker's other clips). */
  addSums(sums: Float64Array, voiced: number): void {
    for (let c = 0; c < this.#sums.length; c++) this.#sums[c]! += sums[c]!;
    this.#voiced += voiced;
  }

  /** The prior and the frames so far, weighted by count. */
  centre(out = new Float32Array(this.#sums.length)): Float32Array {
    const { mean, frames } = this.prior;
    const n = frames + this.#voiced;
    for (let c = 0; c < out.length; c++) out[c] = (frames * mean[c]! + this.#sums[c]!) / n;
    return out;
  }
}

/** The voiced-frame sums and count of frames [from, to) (training's per-clip totals). */
export function voicedSums(
  cfg: TdnnConfig,
  features: FeatureMatrix,
  from = 0,
  to = features.cols,
): { sums: Float64Array; voiced: number } {
  const stats = new SpeakerStats(cfg, { mean: new Float32Array(normalisedChannels(cfg)), frames: 0 });
  stats.add(features, from, to);
  return { sums: stats.sums, voiced: stats.voiced };
}
