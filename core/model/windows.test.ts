import { describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../features/matrix.ts';
import { speechLike } from '../streaming/testing/synthetic.ts';
import { ModelError } from './format.ts';
import { DEFAULT_FRONTEND, frameDescriptors } from './frontend.ts';
import { inputWidth, type TdnnConfig, TdnnError } from './tdnn.ts';
import { randomTdnn, smallNetwork, tinyNetwork } from './testing/tdnn.ts';
import { modelFeatures, modelInput, modelWindowFrames, windowFrames, windowInput } from './windows.ts';

const CFG = tinyNetwork();

function ramp(rows: number, cols: number): FeatureMatrix {
  return {
    rows,
    cols,
    data: Float32Array.from({ length: rows * cols }, (_, i) => (i % cols) * (1 + Math.floor(i / cols))),
  };
}

describe('windowInput', () => {
  const ones = new Float32Array(CFG.nMels).fill(1);

  it('pools frame pairs, removes each band mean and divides by the band scale', () => {
    const mel = ramp(6, 40); // band m, frame t holds t·(m+1)
    const x = windowInput(mel, 10, 34, CFG, Float32Array.from([1, 2, 1, 1]));
    for (let m = 0; m < CFG.nMels; m++) {
      const band = Array.from({ length: CFG.frames }, (_, t) => x[t * CFG.nMels + m]!);
      expect(band.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 4);
      // Pooled frames are 2 apart, so consecutive values step by 2·(m+1)/scale.
      expect(band[1]! - band[0]!).toBeCloseTo((2 * (m + 1)) / (m === 1 ? 2 : 1), 5);
    }
  });

  it('tiles a window shorter than cfg.frames', () => {
    const x = windowInput(ramp(4, 10), 0, 10, CFG, ones); // 5 pooled frames
    for (let t = 5; t < CFG.frames; t++)
      expect(Array.from(x.subarray(t * 4, t * 4 + 4))).toEqual(
        Array.from(x.subarray((t % 5) * 4, (t % 5) * 4 + 4)),
      );
  });

  it('appends energy and F0 relative to the window and voicing as is, when prosody is on', () => {
    const cfg: TdnnConfig = { ...CFG, prosody: true };
    expect(inputWidth(cfg)).toBe(CFG.nMels + 3);
    // Rows: 4 mel bands, one unused (an MFCC), then energy, F0, voicing (frontend.ts layout).
    const cols = 24;
    const data = new Float32Array(8 * cols);
    for (let t = 0; t < cols; t++) {
      data[5 * cols + t] = -30 + t; // energy, dB
      data[6 * cols + t] = t < 8 ? 0 : t < 16 ? 20 : 26; // F0 semitones; unvoiced first 8 frames
      data[7 * cols + t] = t < 8 ? 0.1 : 0.9;
    }
    const x = windowInput({ rows: 8, cols, data }, 0, cols, cfg, Float32Array.from([1, 1, 1, 1, 2, 3, 1]));
    const channel = (c: number) => Array.from({ length: 12 }, (_, t) => x[t * 7 + c]!);
    const energy = channel(4);
    expect(energy.reduce((a, b) => a + b)).toBeCloseTo(0, 4);
    expect(energy[1]! - energy[0]!).toBeCloseTo(2 / 2, 5); // pooled frames are 2 dB apart, scale 2
    // Voiced pooled frames 4..11 hold 20 (4×) and 26 (4×): mean 23, scale 3.
    expect(channel(5)).toEqual([0, 0, 0, 0, -1, -1, -1, -1, 1, 1, 1, 1]);
    expect(channel(6).map((v) => Number(v.toFixed(5)))).toEqual([
      ...Array(4).fill(0.1),
      ...Array(8).fill(0.9),
    ]);
    expect(() => windowInput(ramp(6, 40), 0, 24, cfg, new Float32Array(7).fill(1))).toThrow(TdnnError);
  });

  it('with meanFloorDb, centres the bands and the energy on the frames within that many dB of the loudest', () => {
    const cfg: TdnnConfig = { ...CFG, prosody: true, meanFloorDb: 40 };
    // 12 speech frames at -20 dB (pooled frames 0..5), then 12 of line noise at -70 dB (6..11).
    const cols = 24;
    const data = new Float32Array(8 * cols);
    for (let t = 0; t < cols; t++) {
      const speech = t < 12;
      for (let m = 0; m < 4; m++) data[m * cols + t] = speech ? -10 - m - (t % 2) : -60;
      data[5 * cols + t] = speech ? -20 : -70;
    }
    const features = { rows: 8, cols, data };
    const scale = new Float32Array(7).fill(1);
    const x = windowInput(features, 0, cols, cfg, scale);
    const all = windowInput(features, 0, cols, { ...cfg, meanFloorDb: undefined }, scale);
    // Speech frames: band m pools to -10.5 - m, its mean over the speech alone; the noise keeps its offset.
    for (let m = 0; m < 4; m++) {
      expect(x[m]!, `band ${m}`).toBeCloseTo(0, 5);
      expect(x[6 * 7 + m]!).toBeCloseTo(-60 - (-10.5 - m), 5);
      // Over every frame the pause drags the mean halfway down, as v4 has always computed it.
      expect(all[m]!).toBeCloseTo(-10.5 - m - (-10.5 - m - 60) / 2, 5);
    }
    expect([x[4], x[6 * 7 + 4]]).toEqual([0, -50]);
    expect(all[4]).toBe(25);
    // A floor wider than the window's range is every frame: the same input as none.
    expect(windowInput(features, 0, cols, { ...cfg, meanFloorDb: 60 }, scale)).toEqual(all);
    expect(() =>
      windowInput(ramp(6, 40), 0, 24, { ...CFG, meanFloorDb: 40 }, new Float32Array(4).fill(1)),
    ).toThrow(/window means over the loud frames need a prosody network/);
  });

  it('rejects too few mel rows and windows outside the matrix', () => {
    expect(() => windowInput(ramp(3, 40), 0, 24, CFG, ones)).toThrow(TdnnError);
    expect(() => windowInput(ramp(4, 40), 30, 50, CFG, ones)).toThrow(TdnnError);
    expect(() => windowInput(ramp(4, 40), 5, 6, CFG, ones)).toThrow(TdnnError);
  });
});

describe('windowFrames', () => {
  it('aligns the last window to the end', () => {
    expect(windowFrames(270, 200, 100)).toEqual([
      [0, 200],
      [70, 270],
    ]);
    expect(windowFrames(240, 200, 100)).toEqual([[0, 200]]);
    expect(windowFrames(50, 200, 100)).toEqual([[0, 50]]);
  });
});

describe('model windows', () => {
  const prosody = randomTdnn(smallNetwork({ nMels: 64, prosody: true, pool: 2, frames: 100 }), 'w');
  const logMel = randomTdnn(smallNetwork({ nMels: 64, pool: 2, frames: 100 }), 'w');

  it('cuts the model’s 2 s windows every 1 s in 10 ms frames, or the window asked for', () => {
    expect(modelWindowFrames(prosody, 501)).toEqual([
      [0, 200],
      [100, 300],
      [200, 400],
      [300, 500],
    ]);
    expect(modelWindowFrames(prosody, 301, { lengthMs: 1000, hopMs: 500 })).toHaveLength(5);
    expect(() => modelWindowFrames(prosody, 301, { lengthMs: 1000, hopMs: 0 })).toThrow(ModelError);
    expect(() => modelWindowFrames(prosody, 301, { lengthMs: -1, hopMs: 500 })).toThrow(/^INVALID_WINDOW: /);
  });

  it('reads log-mel and prosody rows for a prosody network, log-mel for the other', () => {
    const x = speechLike(3);
    expect(modelFeatures(prosody, x).rows).toBe(64 + 3);
    expect(modelFeatures(logMel, x).rows).toBe(64);
    // Training's cached frame descriptors (MFCCs between the bands and the prosody rows) give the same input.
    const descriptors = frameDescriptors(x, DEFAULT_FRONTEND);
    const lean = modelFeatures(prosody, x);
    expect(modelInput(prosody, descriptors, 0, 200)).toEqual(modelInput(prosody, lean, 0, 200));
  });

  it('rejects audio shorter than one frame', () => {
    expect(() => modelFeatures(prosody, new Float32Array(100))).toThrow(
      /^AUDIO_TOO_SHORT: .*shorter than one/,
    );
  });
});
