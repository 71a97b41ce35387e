import { describe, expect, it } from 'vitest';
import { TELEPHONY_FEATURES } from './config.ts';
import { hzToMel, melToHz } from './convert.ts';
import { FeatureError } from './errors.ts';
import { melFilterbank, melFilterbankMatrix, melSpectrogram } from './mel.ts';
import { stftPower } from './stft.ts';

describe('mel', () => {
  it('the telephony bank has no empty band (librosa would warn)', () => {
    const fb = melFilterbank({ ...TELEPHONY_FEATURES });
    expect(fb.nMels).toBe(64);
    expect(fb.bins).toBe(129);
    for (let m = 0; m < fb.nMels; m++) {
      expect(fb.length[m], `band ${m}`).toBeGreaterThanOrEqual(2);
      const w = fb.weights.subarray(fb.offset[m]!, fb.offset[m]! + fb.length[m]!);
      expect(Math.max(...w)).toBeGreaterThan(0);
    }
  });

  it('sparse storage expands to the same dense matrix librosa builds', () => {
    const fb = melFilterbank({ sr: 8000, nFft: 128, nMels: 10, norm: null });
    const dense = melFilterbankMatrix(fb);
    // norm=null: triangles peak at most 1; each band's nonzeros are one contiguous run.
    for (let m = 0; m < 10; m++) {
      const row = Array.from(dense.data.subarray(m * 65, (m + 1) * 65));
      const nz = row.map((v, k) => (v > 0 ? k : -1)).filter((k) => k >= 0);
      expect(nz.length).toBe(fb.length[m]);
      expect(nz[0]).toBe(fb.start[m]);
      expect(Math.max(...row)).toBeLessThanOrEqual(1);
    }
  });

  it('mel spectrogram = bank x power spectrogram', () => {
    const y = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.3) * 0.5);
    const opts = { sr: 8000, nFft: 256, hopLength: 100, nMels: 16 };
    const M = melSpectrogram(y, opts);
    const S = stftPower(y, opts);
    const dense = melFilterbankMatrix(melFilterbank(opts));
    const t = 4;
    for (let m = 0; m < 16; m++) {
      let acc = 0;
      for (let k = 0; k < S.rows; k++) acc += dense.data[m * S.rows + k]! * S.data[k * S.cols + t]!;
      expect(M.data[m * M.cols + t]).toBeCloseTo(acc, 4);
    }
  });

  it('converts Hz and mel both ways on both scales', () => {
    for (const hz of [0, 300, 999, 1000, 3400, 8000]) {
      expect(melToHz(hzToMel(hz))).toBeCloseTo(hz, 9);
      expect(melToHz(hzToMel(hz, true), true)).toBeCloseTo(hz, 9);
    }
    expect(hzToMel(1000)).toBeCloseTo(15, 12);
    expect(hzToMel(1000, true)).toBeCloseTo(999.99, 1);
  });

  it('rejects bad bank options', () => {
    expect(() => melFilterbank({ sr: 8000, fmin: 3000, fmax: 1000 })).toThrow(FeatureError);
    expect(() => melFilterbank({ sr: 0 })).toThrow(FeatureError);
    expect(() => melFilterbank({ sr: 8000, nMels: 0 })).toThrow(FeatureError);
    expect(() => melFilterbank({ sr: 8000, norm: 'l2' as 'slaney' })).toThrow(/norm/);
  });
});
