// Score explanations for the storage and query tests: a window cut into 200 ms segments with weights
// that exercise the stored form (negative, tiny, the bounds -1 and 1, values a Float32 rounds).
import type { Emotion } from '../../../core/emotions.ts';
import { type Explanation, parseEvent, type ScoreEvent } from '../../../core/events/schema.ts';

export const SEGMENT_MS = 200;

/** Weights used in turn, one per segment. */
const WEIGHTS = [0.031, -0.004, 1, -1, 1e-7, 0.123456789, -0.5, 0, 0.3333333333, -0.0625];

/** The explanation of `score`'s window: one segment per SEGMENT_MS (the last one may be shorter). */
export function explanationOf(score: ScoreEvent, emotion: Emotion = 'angry'): Explanation {
  const segments: Explanation['segments'] = [];
  for (let start = score.windowStartMs, i = 0; start < score.windowEndMs; start += SEGMENT_MS, i++)
    segments.push({
      startMs: start,
      endMs: Math.min(score.windowEndMs, start + SEGMENT_MS),
      weight: WEIGHTS[i % WEIGHTS.length] as number,
    });
  return { emotion, segments };
}

/** `score` with its explanation, validated as an event. */
export function explained(score: ScoreEvent, emotion?: Emotion): ScoreEvent {
  return parseEvent({ ...score, explanation: explanationOf(score, emotion) }) as ScoreEvent;
}

/**
 * `explanation` with its weights rounded to Float32, the stored width: what a stored explanation
 * read back equals (compare both sides through it).
 */
export function asStored(explanation: Explanation): Explanation {
  return {
    emotion: explanation.emotion,
    segments: explanation.segments.map((s) => ({ ...s, weight: Math.fround(s.weight) })),
  };
}
