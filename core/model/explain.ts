// Explanations: which parts of a window drove its score. The network's frame-level layers give one
// embedding per output frame and statistics pooling averages them over the window, so the cheapest
// faithful question is "what would the window score without this segment's frames?": the pooled
// mean and spread are recomputed from per-segment sums with one segment left out, and only the small
// dense head runs again (11–16 % on top of the window's own cost on ONNX Runtime; onnx.ts and tfjs.ts run it the
// same way). A segment's weight is the top class's probability with the whole window minus its
// probability with the segment left out: positive where the segment supports the emotion.
//
// Segments are ~200 ms of the window. An output frame belongs to the segment holding the centre of
// its receptive field (tdnn.ts receptiveField: ±150 ms for v4), so a segment's weight also reflects
// audio just beside it. Windows shorter than the model's are tiled (windows.ts), which repeats their
// frames across segments: they are not explained.
import type { EmotionModel } from './format.ts';
import { receptiveField, type TdnnConfig } from './tdnn.ts';

/** Target segment length. */
export const EXPLAIN_SEGMENT_MS = 200;

/** How a window's output frames fall into segments (what the graphs need). */
export interface ExplainLayout {
  /** Output frames of the frame-level layers per window. */
  outputFrames: number;
  /** Segments with at least one output frame, in time order. */
  segments: number;
  /** [segments][outputFrames] row-major: 1 where the output frame belongs to the segment. */
  membership: Float32Array;
  /** Output frames per segment. */
  counts: Float32Array;
  /** Each segment's span in network frames [start, end) of the window. */
  spans: Array<[number, number]>;
}

/**
 * The segments of a window of cfg.frames network frames (`msPerNetworkFrame` each: pool × the
 * frontend hop).
 */
export function explainLayout(cfg: TdnnConfig, msPerNetworkFrame: number): ExplainLayout {
  const rf = receptiveField(cfg);
  const outputFrames = cfg.frames - rf + 1;
  const target = Math.max(1, Math.round((cfg.frames * msPerNetworkFrame) / EXPLAIN_SEGMENT_MS));
  const edge = (k: number) => Math.round((k * cfg.frames) / target);
  const groupOf = (t: number) => {
    const centre = t + (rf - 1) / 2;
    let k = 0;
    while (k + 1 < target && edge(k + 1) <= centre) k++;
    return k;
  };
  const groups = Array.from({ length: outputFrames }, (_, t) => groupOf(t));
  const used = [...new Set(groups)].sort((a, b) => a - b);
  const membership = new Float32Array(used.length * outputFrames);
  const counts = new Float32Array(used.length);
  groups.forEach((g, t) => {
    const s = used.indexOf(g);
    membership[s * outputFrames + t] = 1;
    counts[s]! += 1;
  });
  return {
    outputFrames,
    segments: used.length,
    membership,
    counts,
    spans: used.map((k) => [edge(k), edge(k + 1)]),
  };
}

/** One explained window: its segments relative to the window's start. */
export interface WindowExplanation {
  /** Index into model.labels of the explained (most probable) class. */
  label: number;
  segments: { startMs: number; endMs: number; weight: number }[];
}

/**
 * The explanation of one window from its probabilities and its leave-one-segment-out probabilities
 * ([segments][classes] for this window), spans converted to ms.
 */
export function windowExplanation(
  probs: Float32Array,
  occluded: Float32Array,
  layout: ExplainLayout,
  msPerNetworkFrame: number,
): WindowExplanation {
  let label = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c]! > probs[label]!) label = c;
  const classes = probs.length;
  return {
    label,
    segments: layout.spans.map(([start, end], s) => ({
      startMs: Math.round(start * msPerNetworkFrame),
      endMs: Math.round(end * msPerNetworkFrame),
      // Clamped: float32 softmax differences can overshoot ±1 by an ulp.
      weight: Math.max(-1, Math.min(1, probs[label]! - occluded[s * classes + label]!)),
    })),
  };
}

/** The layout of `model`'s windows. */
export function modelExplainLayout(model: EmotionModel): ExplainLayout {
  return explainLayout(model.network, msPerNetworkFrame(model));
}

/** Duration of one network frame: `pool` frontend hops. */
export function msPerNetworkFrame(model: EmotionModel): number {
  return (1000 * model.frontend.hopLength * model.network.pool) / model.frontend.sr;
}
