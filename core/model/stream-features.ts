// The frame features of one speaker's consecutive live windows, computed once per frame. Live windows
// overlap (2 s every 1 s), so computing each from its own audio computes every frame twice; features
// are about 80 % of a window's cost once the network is one network. A window that continues the
// previous one (same length, starting one hop later, the overlap equal sample for sample) takes the
// previous window's frames where they overlap and computes only the rest, from its own audio with
// enough context that those frames equal what its own audio alone would give away from the edges.
//
// Why the frames agree: a log-mel or energy frame reads nFft samples around its centre, a pitch frame
// 32 ms around its centre, and the pitch track's cleanup (short voiced runs dropped, 3-tap median)
// reaches at most MIN_VOICED_RUN pitch frames. Frames kept from the previous window lie at least
// EDGE samples before its end, and newly computed frames at least EDGE samples after the start of
// the audio they are computed from, so neither sees an edge the other does not. What differs from
// computing the window alone: the pitch tracker's frames (every pitchStride frames) are aligned to
// the audio they were computed from rather than to the window's start, as happens between windows
// anyway; and frames near the window's start carry the previous audio's context instead of padding,
// as in training, whose features are computed over whole clips.
import type { FeatureMatrix } from '../features/matrix.ts';
import type { EmotionModel } from './format.ts';
import { modelFeatures } from './windows.ts';

export interface StreamFeaturesParams {
  /** Samples a window starts after the one it continues. */
  hopSamples: number;
  /** Samples per frame. */
  frameHop: number;
  /** Samples kept clear of an edge of the audio a frame was computed from (a multiple of frameHop). */
  edge: number;
}

/** Frames of cleanup context either side, in pitch frames (core/model/pitch.ts MIN_VOICED_RUN − 1 + median). */
const PITCH_CONTEXT_FRAMES = 3;

export function streamFeaturesParams(model: EmotionModel): StreamFeaturesParams {
  const { hopLength, nFft, sr } = model.frontend;
  const pitchHop = hopLength * (model.frontend.pitchStride ?? 1);
  const reach = Math.floor(nFft / 2) + PITCH_CONTEXT_FRAMES * pitchHop;
  return {
    hopSamples: Math.round((model.window.hopMs * sr) / 1000),
    frameHop: hopLength,
    edge: Math.ceil(reach / hopLength) * hopLength,
  };
}

/** One speaker stream's features; `next` takes its windows in order. */
export class StreamFeatures {
  readonly #model: EmotionModel;
  readonly #params: StreamFeaturesParams;
  /** The last window's features and a copy of its samples from one hop on (callers may reuse buffers). */
  #last: { length: number; tail: Float32Array; features: FeatureMatrix } | undefined;
  /** Windows whose frames were shared with the one before (for tests and metrics). */
  shared = 0;
  /** Trailing frames of the last window that no window before it held (its new hop, or all of it). */
  fresh = 0;

  constructor(model: EmotionModel, params: StreamFeaturesParams = streamFeaturesParams(model)) {
    this.#model = model;
    this.#params = params;
  }

  /** The features of the stream's next window (modelFeatures of its samples, sharing frames). */
  next(samples: Float32Array): FeatureMatrix {
    const last = this.#last;
    const continues = last !== undefined && this.#continues(last, samples);
    const features = continues
      ? this.#continued(last.features, samples)
      : modelFeatures(this.#model, samples);
    const { hopSamples: d, frameHop } = this.#params;
    this.fresh = continues ? d / frameHop : features.cols;
    this.#last = { length: samples.length, tail: samples.slice(Math.min(d, samples.length)), features };
    return features;
  }

  #continues(last: { length: number; tail: Float32Array }, samples: Float32Array): boolean {
    const { hopSamples: d, frameHop, edge } = this.#params;
    const n = samples.length;
    if (last.length !== n || d % frameHop !== 0 || n - d < 2 * edge + frameHop) return false;
    const { tail } = last;
    for (let i = 0; i < tail.length; i++) if (tail[i] !== samples[i]) return false;
    return true;
  }

  #continued(previous: FeatureMatrix, samples: Float32Array): FeatureMatrix {
    const { hopSamples: d, frameHop, edge } = this.#params;
    const n = samples.length;
    // Frames [0, kept) come from the previous window (its frames from d / frameHop on).
    const kept = Math.floor((n - d - edge) / frameHop);
    const from = kept * frameHop - edge;
    const fresh = modelFeatures(this.#model, samples.subarray(from));
    const { rows } = previous;
    const cols = previous.cols;
    const out = new Float32Array(rows * cols);
    const shift = d / frameHop;
    const offset = from / frameHop;
    for (let r = 0; r < rows; r++) {
      const row = r * cols;
      out.set(previous.data.subarray(row + shift, row + shift + kept), row);
      out.set(fresh.data.subarray(r * fresh.cols + kept - offset, r * fresh.cols + fresh.cols), row + kept);
    }
    this.shared++;
    return { rows, cols, data: out };
  }
}
