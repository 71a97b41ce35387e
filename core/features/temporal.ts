import { FeatureError, positiveInt, requireFiniteAudio } from './errors.ts';
import type { FeatureMatrix } from './matrix.ts';
import { frameCount } from './stft.ts';

/** Framing of librosa's time-domain features (defaults frameLength 2048, hopLength 512, center true). */
export interface FrameOptions {
  frameLength?: number;
  hopLength?: number;
  center?: boolean;
}

function resolveFrames(options: FrameOptions) {
  return {
    frameLength: positiveInt('frameLength', options.frameLength ?? 2048),
    hopLength: positiveInt('hopLength', options.hopLength ?? 512),
    center: options.center ?? true,
  };
}

/**
 * librosa.feature.zero_crossing_rate: fraction of sign changes per frame. Centred frames pad by
 * repeating the edge samples (librosa pads with mode='edge' here, unlike the STFT); samples with
 * |x| <= threshold (1e-10) count as zero, and zero counts as positive.
 */
export function zeroCrossingRate(
  y: Float32Array,
  options: FrameOptions & { threshold?: number } = {},
): FeatureMatrix {
  requireFiniteAudio(y);
  const { frameLength, hopLength, center } = resolveFrames(options);
  const threshold = options.threshold ?? 1e-10;
  if (y.length === 0) throw new FeatureError('INVALID_INPUT', 'zero crossing rate of an empty signal');
  const cols = frameCount(y.length, frameLength, hopLength, center);
  const pad = center ? Math.floor(frameLength / 2) : 0;
  // Sign bit per padded position, computed once: crossings are then bit comparisons.
  const n = y.length + 2 * pad;
  const negative = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[Math.min(Math.max(i - pad, 0), y.length - 1)]!;
    negative[i] = v < -threshold ? 1 : 0;
  }
  const data = new Float32Array(cols);
  for (let t = 0; t < cols; t++) {
    const s = t * hopLength;
    let count = 0;
    for (let i = s + 1; i < s + frameLength; i++) count += negative[i]! ^ negative[i - 1]!;
    data[t] = count / frameLength;
  }
  return { rows: 1, cols, data };
}

/** librosa.feature.rms(y=y, ...): sqrt(mean(x^2)) per frame, centred frames zero-padded. */
export function rms(y: Float32Array, options: FrameOptions = {}): FeatureMatrix {
  requireFiniteAudio(y);
  const { frameLength, hopLength, center } = resolveFrames(options);
  const cols = frameCount(y.length, frameLength, hopLength, center);
  const pad = center ? Math.floor(frameLength / 2) : 0;
  const data = new Float32Array(cols);
  const n = y.length;
  const frame = (t: number) => {
    const s = t * hopLength - pad;
    let acc = 0;
    for (let i = Math.max(s, 0); i < Math.min(s + frameLength, n); i++) acc += y[i]! * y[i]!;
    data[t] = Math.sqrt(acc / frameLength);
  };
  let t = 0;
  for (; t < cols && t * hopLength < pad; t++) frame(t);
  // Four frames inside the signal at once, each summed in its own order (the same values): a single
  // running sum is bound by the latency of each addition.
  for (; t + 3 < cols && (t + 3) * hopLength - pad + frameLength <= n; t += 4) {
    const s0 = t * hopLength - pad;
    const s1 = s0 + hopLength;
    const s2 = s1 + hopLength;
    const s3 = s2 + hopLength;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let i = 0; i < frameLength; i++) {
      const v0 = y[s0 + i]!;
      const v1 = y[s1 + i]!;
      const v2 = y[s2 + i]!;
      const v3 = y[s3 + i]!;
      a0 += v0 * v0;
      a1 += v1 * v1;
      a2 += v2 * v2;
      a3 += v3 * v3;
    }
    data[t] = Math.sqrt(a0 / frameLength);
    data[t + 1] = Math.sqrt(a1 / frameLength);
    data[t + 2] = Math.sqrt(a2 / frameLength);
    data[t + 3] = Math.sqrt(a3 / frameLength);
  }
  for (; t < cols; t++) frame(t);
  return { rows: 1, cols, data };
}
