/**
 * A complete log-mel + MFCC configuration, causal by construction (numeric ref, no topDb clamp),
 * so that the streaming extractor can reproduce the batch frames exactly.
 */
export interface FeatureConfig {
  /** Sample rate the features are defined at (Hz). */
  readonly sr: number;
  readonly nFft: number;
  readonly winLength: number;
  readonly hopLength: number;
  readonly center: boolean;
  readonly nMels: number;
  readonly fmin: number;
  readonly fmax: number;
  readonly htk: boolean;
  readonly norm: 'slaney' | null;
  /** power_to_db reference (0 dB) and floor. */
  readonly ref: number;
  readonly amin: number;
  /** Always null: a clamp relative to the utterance's maximum would need the whole call. */
  readonly topDb: null;
  readonly nMfcc: number;
  readonly lifter: number;
}

/**
 * The product's model input for 8 kHz G.711 call audio. Equals, in librosa terms:
 *   S = librosa.feature.melspectrogram(y=y, sr=8000, n_fft=256, win_length=200, hop_length=80,
 *         n_mels=64, fmin=50, fmax=4000)            # hann, center=True, pad_mode='constant', Slaney
 *   logmel = librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=None)
 *   mfcc = librosa.feature.mfcc(S=logmel, n_mfcc=20)  # DCT-II ortho
 * Why: 25 ms Hann windows every 10 ms are the speech-standard analysis (pitch periods of 2.5-12 ms
 * fit several times; 100 frames/s); 256 is the next power of two (31.25 Hz bins). 64 Slaney bands
 * from 50 Hz to Nyquist: VoIP G.711 carries the whole 0-4 kHz band, so nothing above the mains-hum
 * region is thrown away, and 64 bands still give every band at least two FFT bins (no empty
 * filters). ref 1.0 and no top_db keep each frame's values independent of the rest of the call
 * (needed for streaming); amin 1e-10 floors digital silence at -100 dB. 20 MFCCs (librosa's
 * default) cover the spectral envelope.
 */
export const TELEPHONY_FEATURES: FeatureConfig = Object.freeze({
  sr: 8000,
  nFft: 256,
  winLength: 200,
  hopLength: 80,
  center: true,
  nMels: 64,
  fmin: 50,
  fmax: 4000,
  htk: false,
  norm: 'slaney',
  ref: 1,
  amin: 1e-10,
  topDb: null,
  nMfcc: 20,
  lifter: 0,
});
