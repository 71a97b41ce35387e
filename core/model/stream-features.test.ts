import { describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../features/matrix.ts';
import { speechLike } from '../streaming/testing/synthetic.ts';
import { ModelStream, openRunner } from './runner.ts';
import { StreamFeatures, streamFeaturesParams } from './stream-features.ts';
import { seededModel } from './testing/tdnn.ts';
import { modelFeatures } from './windows.ts';

const model = seededModel('stream-features');
const audio = speechLike(8);
const { hopSamples, frameHop, edge } = streamFeaturesParams(model);
const length = (model.window.lengthMs * model.frontend.sr) / 1000;
const windowAt = (k: number) => audio.subarray(k * hopSamples, k * hopSamples + length);
const column = (f: FeatureMatrix, r: number, from: number, to: number) =>
  Array.from(f.data.subarray(r * f.cols + from, r * f.cols + to));

describe('StreamFeatures', () => {
  it('computes a stream’s first window, and any window that does not continue the last, from its own audio', () => {
    const frames = new StreamFeatures(model);
    expect(frames.next(windowAt(0))).toEqual(modelFeatures(model, windowAt(0)));
    // Two hops on: a gap (a silent window the voice-activity gate skipped).
    expect(frames.next(windowAt(2))).toEqual(modelFeatures(model, windowAt(2)));
    expect(frames.shared).toBe(0);
  });

  it('shares the overlap with the window before: log-mel and energy equal the window alone away from its edges, F0 agrees', () => {
    const frames = new StreamFeatures(model);
    const rows = model.network.nMels + 3;
    let voicedAgree = 0;
    let voicedTotal = 0;
    for (let k = 0; k < 6; k++) {
      const shared = frames.next(windowAt(k));
      const alone = modelFeatures(model, windowAt(k));
      expect([shared.rows, shared.cols]).toEqual([alone.rows, alone.cols]);
      const from = k === 0 ? 0 : edge / frameHop;
      const to = alone.cols;
      // Mel bands and frame energy: the same frames, bit for bit.
      for (let r = 0; r < rows - 2; r++)
        expect(column(shared, r, from, to)).toEqual(column(alone, r, from, to));
      // F0 (semitones, 0 unvoiced): the pitch grid may sit elsewhere; the track agrees within a semitone.
      const f0s = column(shared, rows - 2, from, to);
      const f0a = column(alone, rows - 2, from, to);
      f0s.forEach((v, i) => {
        if (v > 0 || f0a[i]! > 0) {
          voicedTotal++;
          if (Math.abs(v - f0a[i]!) < 1) voicedAgree++;
        }
      });
    }
    expect(frames.shared).toBe(5);
    expect(voicedTotal).toBeGreaterThan(100);
    expect(voicedAgree / voicedTotal).toBeGreaterThan(0.9);
  });

  it('keeps its own copy of the overlap: a caller reusing its buffer does not fool it', () => {
    const frames = new StreamFeatures(model);
    const buffer = Float32Array.from(windowAt(0));
    frames.next(buffer);
    buffer.set(windowAt(3));
    // windowAt(3) does not continue windowAt(0), whatever the buffer holds now.
    expect(frames.next(Float32Array.from(windowAt(1)).fill(0.5, 0, 10))).toEqual(
      modelFeatures(model, Float32Array.from(windowAt(1)).fill(0.5, 0, 10)),
    );
    expect(frames.shared).toBe(0);
  });

  it('scores a live stream’s windows close to scoring each window alone', async () => {
    const runner = await openRunner(model, { runtime: 'tfjs-wasm' });
    const stream = new ModelStream();
    const windows = Array.from({ length: 6 }, (_, k) => windowAt(k));
    const shared = await runner.scoreWindows(windows.map((samples) => ({ stream, samples })));
    const alone = await runner.scoreWindows(
      windows.map((samples) => ({ stream: new ModelStream(), samples })),
    );
    await runner.release();
    const diff = Math.max(...shared.flatMap((p, i) => Array.from(p, (v, c) => Math.abs(v - alone[i]![c]!))));
    expect(diff).toBeLessThan(0.1);
    expect(shared[0]).toEqual(alone[0]);
  });
});
