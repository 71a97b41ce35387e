// Unit conversions written to follow librosa.convert / numpy operation for operation, so the
// filter banks built from them match librosa's to float32 rounding.

/** np.linspace(start, stop, num, endpoint): i * step + start, with the endpoint set exactly. */
export function linspace(start: number, stop: number, num: number, endpoint = true): Float64Array {
  const out = new Float64Array(num);
  const div = endpoint ? num - 1 : num;
  const step = (stop - start) / div;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** librosa.fft_frequencies: centre frequency of each of the 1 + nFft / 2 rFFT bins. */
export function fftFrequencies(sr: number, nFft: number): Float64Array {
  const bins = (nFft >> 1) + 1;
  const val = 1 / (nFft * (1 / sr));
  const out = new Float64Array(bins);
  for (let k = 0; k < bins; k++) out[k] = k * val;
  return out;
}

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27;

/** librosa.hz_to_mel: Slaney's auditory toolbox scale (linear below 1 kHz, log above), or HTK's. */
export function hzToMel(hz: number, htk = false): number {
  if (htk) return 2595 * Math.log10(1 + hz / 700);
  if (hz >= MIN_LOG_HZ) return MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOGSTEP;
  return hz / F_SP;
}

/** librosa.mel_to_hz, the inverse of hzToMel. */
export function melToHz(mel: number, htk = false): number {
  if (htk) return 700 * (10 ** (mel / 2595) - 1);
  if (mel >= MIN_LOG_MEL) return MIN_LOG_HZ * Math.exp(LOGSTEP * (mel - MIN_LOG_MEL));
  return F_SP * mel;
}

/** librosa.mel_frequencies: n frequencies evenly spaced on the mel scale from fmin to fmax. */
export function melFrequencies(n: number, fmin: number, fmax: number, htk = false): Float64Array {
  const mels = linspace(hzToMel(fmin, htk), hzToMel(fmax, htk), n);
  return mels.map((m) => melToHz(m, htk));
}

/** librosa.hz_to_octs: octave number relative to A0 (A440 / 16), shifted by tuning (fractions of a bin). */
export function hzToOcts(hz: number, tuning = 0, binsPerOctave = 12): number {
  const a440 = 440 * 2 ** (tuning / binsPerOctave);
  return Math.log2(hz / (a440 / 16));
}

/** numpy's floating remainder (np.mod / np.remainder): the result takes the divisor's sign. */
export function pyMod(a: number, b: number): number {
  const m = a % b;
  if (m !== 0 && m < 0 !== b < 0) return m + b;
  return m === 0 ? 0 : m;
}
