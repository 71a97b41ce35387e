// Calls built from labelled clips, so that a model is judged as it runs live: on one speaker's
// audio in order, one model stream per call, each window seeing only audio up to its end. A model
// that adapts to the speaker (running statistics of the call so far) is only honestly measured this
// way, and a call that is angry from its first second must still score angry from its first window.
//
// - 'single': per speaker and emotion, that speaker's clips of the emotion back to back: one
//   emotion all call long (the first window has nothing earlier to lean on).
// - 'mixed': per speaker, all of that speaker's clips in a seeded random order: the emotion changes
//   from clip to clip, as in a real call.
// Clips are joined by pauses of CALL_GAP_MS of line noise at CALL_GAP_NOISE_DBFS (a phone line's
// pause is not digital zero, which no call delivers for long and whose log-mel floor the model never
// saw in training). A clip's score is the mean of the windows centred
// inside it: a window describes the audio around its centre (live, it is shown when it ends, one
// hop later), and is still computed from audio up to its end only.
import { gaussian, seededRandom, shuffled } from '../random.ts';

export const CALL_MODES = ['single', 'mixed'] as const;
export type CallMode = (typeof CALL_MODES)[number];

/** Pause between two clips of a built call: a within-turn pause. */
export const CALL_GAP_MS = 500;
/** Level of the pause's white noise (RMS). */
export const CALL_GAP_NOISE_DBFS = -65;

export interface CallClip {
  speaker: string;
  /** Class index. */
  label: number;
  /** Mono audio at the call's sample rate. */
  samples: Float32Array;
}

export interface BuiltCall {
  samples: Float32Array;
  /** The clips in call order: their index in the input and their span [start, end) in samples. */
  clips: { index: number; start: number; end: number }[];
}

/** The calls of `mode` built from `clips` (see the header); `seed` fixes the mixed order. */
export function buildCalls(
  clips: readonly CallClip[],
  mode: CallMode,
  sampleRate: number,
  seed = 'calls',
): BuiltCall[] {
  const groups = new Map<string, number[]>();
  clips.forEach((c, i) => {
    const key = mode === 'single' ? `${c.speaker}\u0000${c.label}` : c.speaker;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const gap = Math.round((CALL_GAP_MS * sampleRate) / 1000);
  const noise = 10 ** (CALL_GAP_NOISE_DBFS / 20);
  return [...groups.entries()].map(([key, members]) => {
    const random = seededRandom(`${seed}|${key}`);
    const order = mode === 'mixed' ? shuffled(members, random) : members;
    const length = order.reduce((n, i) => n + clips[i]!.samples.length, 0) + gap * (order.length - 1);
    const samples = Float32Array.from({ length }, () => noise * gaussian(random));
    let at = 0;
    const spans = order.map((index) => {
      const clip = clips[index]!.samples;
      samples.set(clip, at);
      const span = { index, start: at, end: at + clip.length };
      at += clip.length + gap;
      return span;
    });
    return { samples, clips: spans };
  });
}

/**
 * The windows (in call order, offsets from the call's start) that belong to each clip of `call`:
 * those centred inside it; a clip no window is centred in gets the first window centred after it,
 * else the call's last window.
 */
export function clipWindows<W extends { startMs: number; endMs: number }>(
  windows: readonly W[],
  call: BuiltCall,
  sampleRate: number,
): W[][] {
  const ms = (sample: number) => (1000 * sample) / sampleRate;
  const centre = (w: W) => (w.startMs + w.endMs) / 2;
  return call.clips.map(({ start, end }) => {
    const inside = windows.filter((w) => centre(w) > ms(start) && centre(w) <= ms(end));
    if (inside.length > 0) return inside;
    const after = windows.find((w) => centre(w) > ms(end)) ?? windows.at(-1);
    return after ? [after] : [];
  });
}
