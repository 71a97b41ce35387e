import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMOTIONS } from '../emotions.ts';
import { speechLike } from '../streaming/testing/synthetic.ts';
import { applyClassOffsets, offsetFactors } from './class-offsets.ts';
import { COMMITTED_MODEL_DIR, COMMITTED_MODEL_VERSION, type EmotionModel, saveModel } from './format.ts';
import { averageProbs } from './probs.ts';
import { type ModelRunner, ModelStream, NETWORK_BATCH, openModel, openRunner } from './runner.ts';
import { randomTdnn, seededModel, smallNetwork } from './testing/tdnn.ts';
import { modelFeatures } from './windows.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tdnn = (prosody: boolean, members = 1) =>
  randomTdnn(smallNetwork({ nMels: 64, prosody, pool: 2, frames: 100 }), 'runner', {
    members,
    scale: 4,
    temperature: 1.2,
  });

const sum = (p: ArrayLike<number>) => Array.from(p).reduce((a, b) => a + b, 0);

for (const [name, model] of [
  ['log-mel TDNN', tdnn(false)],
  ['prosody TDNN', tdnn(true)],
] as const)
  describe(`ModelRunner (${name}, product runtime)`, () => {
    let runner: ModelRunner;
    it('opens on the runtime auto picks', async () => {
      runner = await openRunner(model);
      expect(runner.runtime).toBe('onnx');
    });

    it('scores a recording in the model’s 2 s windows every 1 s, distributions summing to 1', async () => {
      const windows = await runner.scoreRecording(speechLike(5));
      expect(windows.map((w) => [w.startMs, w.endMs])).toEqual([
        [0, 2000],
        [1000, 3000],
        [2000, 4000],
        [3000, 5000],
      ]);
      for (const w of windows) expect(sum(Object.values(w.probs))).toBeCloseTo(1, 5);
      expect(sum(Object.values(averageProbs(windows)))).toBeCloseTo(1, 5);
    });

    it('honours another window and scores short audio as one window', async () => {
      expect(await runner.scoreRecording(speechLike(3), { lengthMs: 1000, hopMs: 500 })).toHaveLength(5);
      const short = await runner.scoreRecording(speechLike(1));
      expect(short.map((w) => [w.startMs, w.endMs])).toEqual([[0, 1000]]);
    });

    it('scores a 2 s window alone nearly as the recording’s window (only the cut edge frames differ)', async () => {
      const x = speechLike(5);
      const recording = await runner.scoreRecording(x);
      const [alone] = await runner.scoreWindows([
        { stream: new ModelStream(), samples: x.subarray(8000, 24000) },
      ]);
      const differences = EMOTIONS.map((e, i) => Math.abs(alone![i]! - recording[1]!.probs[e]));
      expect(Math.max(...differences)).toBeLessThan(0.03);
    });

    it('rejects audio shorter than a frame, a non-positive window and a closed stream, by code', async () => {
      await expect(runner.scoreRecording(new Float32Array(100))).rejects.toThrow(/^AUDIO_TOO_SHORT: /);
      const stream = new ModelStream();
      await expect(runner.scoreWindows([{ stream, samples: new Float32Array(100) }])).rejects.toThrow(
        /^AUDIO_TOO_SHORT: /,
      );
      await expect(runner.scoreRecording(speechLike(1), { lengthMs: 1000, hopMs: 0 })).rejects.toThrow(
        /^INVALID_WINDOW: /,
      );
      stream.close();
      expect(stream.closed).toBe(true);
      await expect(runner.scoreWindows([{ stream, samples: speechLike(2) }])).rejects.toThrow(
        /^STREAM_CLOSED: /,
      );
      await runner.release();
    });
  });

describe('ModelRunner batches and ensembles', () => {
  it(`scores more than ${NETWORK_BATCH} windows in several network calls, as one at a time would`, async () => {
    const runner = await openRunner(seededModel('batch'));
    const stream = new ModelStream();
    const x = speechLike(3);
    const windows = Array.from({ length: NETWORK_BATCH + 5 }, (_, i) => ({
      stream,
      samples: x.subarray(80 * i, 80 * i + 16000),
    }));
    const together = await runner.scoreWindows(windows);
    expect(together).toHaveLength(windows.length);
    for (const i of [0, NETWORK_BATCH - 1, NETWORK_BATCH, windows.length - 1]) {
      const [alone] = await runner.scoreWindows([windows[i]!]);
      alone!.forEach((p, c) => {
        expect(p).toBeCloseTo(together[i]![c]!, 6);
      });
    }
    // The windows differ, so the test would see a mix-up.
    expect(together[0]).not.toEqual(together.at(-1));
    await runner.release();
  });

  it('scores an ensemble as the mean of its members and names it', async () => {
    const model = tdnn(true, 3);
    const features = modelFeatures(model, speechLike(3));
    const runner = await openRunner(model, { runtime: 'tfjs-wasm' });
    const ensemble = await runner.scoreFeatures(features);
    const each: Awaited<ReturnType<ModelRunner['scoreFeatures']>>[] = [];
    for (const weights of model.members) {
      const member = await openRunner({ ...model, members: [weights] }, { runtime: 'tfjs-wasm' });
      each.push(await member.scoreFeatures(features));
      await member.release();
    }
    ensemble.forEach((win, i) => {
      win.probs.forEach((p, c) => {
        expect(p).toBeCloseTo(each.reduce((s, m) => s + m[i]!.probs[c]!, 0) / each.length, 6);
      });
    });
    // Members differ, so the mean is not any one member's.
    expect(each[0]![0]!.probs).not.toEqual(each[1]![0]!.probs);
    expect(runner.describe()).toBe(
      'model test-runner: TDNN over 64 log-mel bands + energy, F0, voicing (20 ms frames: 3×8, 3×8; statistics pooling; dense 8), 3 networks averaged, tfjs-wasm',
    );
    await runner.release();
  });
});

describe('a model with class offsets', () => {
  it('scores every window, explanations included, as the model without them with the offsets applied', async () => {
    const model = tdnn(true, 2);
    const classOffsets = Float32Array.from([-0.4, -0.8, -0.5, 0.3, 0, 0]);
    const [plain, offset] = [await openRunner(model), await openRunner({ ...model, classOffsets })];
    const x = speechLike(4);
    const [a, b] = [await plain.scoreRecording(x), await offset.scoreRecording(x)];
    a.forEach((w, i) => {
      const expected = Float32Array.from(EMOTIONS, (e) => w.probs[e]);
      applyClassOffsets(expected, offsetFactors(classOffsets));
      for (const [k, e] of EMOTIONS.entries()) expect(b[i]!.probs[e]).toBeCloseTo(expected[k]!, 6);
    });
    expect(b[0]!.probs).not.toEqual(a[0]!.probs);
    // Explaining: the same probabilities, and each segment's weight against the offset occlusions.
    const windows = [{ stream: new ModelStream(), samples: x.subarray(0, 16000) }];
    const [explainedPlain, explained] = [
      await plain.explainWindows(windows),
      await offset.explainWindows([{ ...windows[0]!, stream: new ModelStream() }]),
    ];
    const scored = await offset.scoreWindows([{ ...windows[0]!, stream: new ModelStream() }]);
    expect(Array.from(explained[0]!.probs)).toEqual(Array.from(scored[0]!));
    expect(explained[0]!.explanation).toBeDefined();
    expect(explained[0]!.explanation).not.toEqual(explainedPlain[0]!.explanation);
    await Promise.all([plain.release(), offset.release()]);
  });
});

describe('openModel', () => {
  it('loads a model directory and scores as the model in memory does', async () => {
    const model: EmotionModel = seededModel('open');
    saveModel(model, join(dir, 'open'));
    const [fromDir, inMemory] = [await openModel(join(dir, 'open')), await openRunner(model)];
    const x = speechLike(4);
    expect(await fromDir.scoreRecording(x)).toEqual(await inMemory.scoreRecording(x));
    await Promise.all([fromDir.release(), inMemory.release()]);
    await expect(openModel(join(dir, 'absent'))).rejects.toThrow(/^UNREADABLE: /);
  });

  it('opens the committed model and scores speech-like audio', async () => {
    const runner = await openModel(COMMITTED_MODEL_DIR);
    expect(runner.describe()).toMatch(
      new RegExp(`^model ${COMMITTED_MODEL_VERSION}: TDNN .*, 4 networks averaged, onnx$`),
    );
    expect(await runner.scoreRecording(speechLike(3))).toHaveLength(2);
    await runner.release();
  });
});
