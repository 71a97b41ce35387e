import { FeatureError, positiveInt } from './errors.ts';

/**
 * Periodic Hann window, as scipy.signal.get_window('hann', length, fftbins=True) computes it
 * (same linspace and cosine sum, so the values agree to the last bit or so).
 */
export function hannWindow(length: number): Float64Array {
  positiveInt('window length', length);
  const w = new Float64Array(length);
  if (length === 1) {
    w[0] = 1;
    return w;
  }
  // scipy builds a symmetric window of length + 1 on linspace(-pi, pi) and drops the last point.
  const step = (2 * Math.PI) / length;
  for (let i = 0; i < length; i++) w[i] = 0.5 + 0.5 * Math.cos(i * step - Math.PI);
  return w;
}

/** librosa's STFT window: Hann of winLength, zero-padded on both sides to nFft (util.pad_center). */
export function stftWindow(winLength: number, nFft: number): Float64Array {
  if (winLength > nFft) {
    throw new FeatureError('INVALID_OPTION', `winLength ${winLength} must not exceed nFft ${nFft}`);
  }
  const out = new Float64Array(nFft);
  out.set(hannWindow(winLength), Math.floor((nFft - winLength) / 2));
  return out;
}
