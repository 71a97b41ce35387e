import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../corpora/seeded.ts';
import { EMOTIONS } from '../emotions.ts';
import { TELEPHONY_FEATURES } from '../features/config.ts';
import { DEFAULT_FRONTEND, frameDescriptors } from './frontend.ts';
import { functionalsSize } from './functionals.ts';
import {
  averageProbs,
  COMMITTED_MODEL_DIR,
  classifyWindows,
  describeModel,
  isTdnn,
  loadModel,
  type MlpModel,
  ModelError,
  modelFeatures,
  saveModel,
  scoreFeatureWindows,
  scoreWindows,
  windowFrames,
} from './model.ts';
import { randomTdnn as randomTdnnOf, smallNetwork } from './testing/tdnn.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomModel(): MlpModel {
  const random = seededRandom('model');
  const dims = functionalsSize(DEFAULT_FRONTEND);
  const layer = (inputs: number, outputs: number) => ({
    inputs,
    outputs,
    weights: Float32Array.from({ length: inputs * outputs }, () => (random() - 0.5) * 0.2),
    bias: Float32Array.from({ length: outputs }, () => random() - 0.5),
  });
  return {
    version: 'test-model',
    labels: EMOTIONS,
    frontend: DEFAULT_FRONTEND,
    window: { lengthMs: 2000, hopMs: 1000 },
    mean: new Float32Array(dims),
    std: new Float32Array(dims).fill(10),
    temperature: 1.5,
    members: [{ layers: [layer(dims, 8), layer(8, 6)] }, { layers: [layer(dims, 6)] }],
    metadata: { note: 'test' },
  };
}

const randomTdnn = (prosody = false, members = 1) =>
  randomTdnnOf(smallNetwork({ nMels: 64, prosody, pool: 2, frames: 100 }), 'tdnn', {
    members,
    scale: 4,
    temperature: 1.2,
  });

const speechLike = (seconds: number) => {
  let phase = 0;
  return Float32Array.from({ length: seconds * 8000 }, (_, i) => {
    phase += (2 * Math.PI * (120 + 40 * Math.sin(i / 3000))) / 8000;
    return 0.2 * Math.sin(phase) + 0.1 * Math.sin(2 * phase) + 0.05 * Math.sin(3 * phase);
  });
};

describe('model directory', () => {
  it('round-trips through saveModel/loadModel and scores identically', () => {
    const model = randomModel();
    saveModel(model, join(dir, 'm1'));
    const loaded = loadModel(join(dir, 'm1'));
    if (isTdnn(loaded)) throw new Error('saved an MLP, loaded a TDNN');
    expect(loaded.version).toBe('test-model');
    expect(loaded.members[0]!.layers[0]!.weights).toEqual(model.members[0]!.layers[0]!.weights);
    const x = speechLike(5);
    expect(scoreWindows(x, { model: loaded })).toEqual(scoreWindows(x, { model }));
  });

  it('rejects a missing directory, a bad manifest and truncated weights with ModelError', () => {
    expect(() => loadModel(join(dir, 'absent'))).toThrow(ModelError);
    saveModel(randomModel(), join(dir, 'm2'));
    writeFileSync(join(dir, 'm2', 'weights.bin'), new Uint8Array(40));
    expect(() => loadModel(join(dir, 'm2'))).toThrow(/too short/);
    saveModel(randomModel(), join(dir, 'm3'));
    writeFileSync(join(dir, 'm3', 'model.json'), '{"format":"other"}');
    expect(() => loadModel(join(dir, 'm3'))).toThrow(ModelError);
  });
});

describe('TDNN model directory', () => {
  it('round-trips a prosody network, which reads frame descriptors, and needs its pitch stride', () => {
    const model = randomTdnn(true);
    saveModel(model, join(dir, 'tp'));
    const loaded = loadModel(join(dir, 'tp'));
    const x = speechLike(3);
    const features = modelFeatures(loaded, x);
    expect(features.rows).toBe(64 + 3);
    // Training reads full frame descriptors (MFCCs between the bands and the prosody rows): same scores.
    expect(scoreFeatureWindows(loaded, frameDescriptors(x, DEFAULT_FRONTEND))).toEqual(
      scoreFeatureWindows(loaded, features),
    );
    expect(scoreWindows(x, { model: loaded })).toEqual(scoreWindows(x, { model }));
    saveModel({ ...model, frontend: TELEPHONY_FEATURES }, join(dir, 'tp2'));
    expect(() => loadModel(join(dir, 'tp2'))).toThrow(/pitchStride/);
    saveModel({ ...model, scale: new Float32Array(64).fill(1) }, join(dir, 'tp3'));
    expect(() => loadModel(join(dir, 'tp3'))).toThrow(/67 channels/);
  });

  it('round-trips, scores like classifyWindows and rejects weights of the wrong size', () => {
    const model = randomTdnn();
    saveModel(model, join(dir, 't1'));
    const loaded = loadModel(join(dir, 't1'));
    expect(isTdnn(loaded)).toBe(true);
    const x = speechLike(5);
    const windows = scoreWindows(x, { model: loaded });
    expect(windows).toEqual(scoreWindows(x, { model }));
    expect(windows).toHaveLength(4);
    // A 2 s window scored alone (the worker's path) gets nearly the stream's distribution: only
    // its edge frames, centred on the cut, differ.
    const alone = classifyWindows(loaded, [x.subarray(8000, 24000)])[0]!;
    EMOTIONS.forEach((e, i) => {
      expect(alone[i]!).toBeCloseTo(windows[1]!.probs[e], 2);
    });
    writeFileSync(join(dir, 't1', 'weights.bin'), new Uint8Array(400));
    expect(() => loadModel(join(dir, 't1'))).toThrow(/too short/);
  });

  it('stores an ensemble member after member and scores it as the mean of its members', () => {
    const model = randomTdnn(true, 3);
    saveModel(model, join(dir, 'e1'));
    const loaded = loadModel(join(dir, 'e1'));
    if (!isTdnn(loaded)) throw new Error('saved a TDNN, loaded an MLP');
    expect(loaded.members).toHaveLength(3);
    expect(loaded.members[2]!.dense[0]!.w).toEqual(model.members[2]!.dense[0]!.w);
    const x = speechLike(3);
    const features = modelFeatures(loaded, x);
    const each = model.members.map((w) => scoreFeatureWindows({ ...model, members: [w] }, features));
    const ensemble = scoreFeatureWindows(loaded, features);
    ensemble.forEach((win, i) => {
      win.probs.forEach((p, c) => {
        expect(p).toBeCloseTo(each.reduce((s, m) => s + m[i]!.probs[c]!, 0) / each.length, 6);
      });
    });
    expect(describeModel(loaded, 'onnx')).toMatch(
      /^model test-tdnn: TDNN over .*, 3 networks averaged, onnx$/,
    );
    // Members differ, so the mean is not any one member's.
    expect(each[0]![0]!.probs).not.toEqual(each[1]![0]!.probs);
    writeFileSync(
      join(dir, 'e1', 'weights.bin'),
      readFileSync(join(dir, 'e1', 'weights.bin')).subarray(0, -4),
    );
    expect(() => loadModel(join(dir, 'e1'))).toThrow(/too short/);
  });
});

for (const [name, make] of [
  ['MLP', randomModel],
  ['TDNN', () => randomTdnn()],
  ['prosody TDNN', () => randomTdnn(true)],
] as const)
  describe(`scoreWindows (${name})`, () => {
    const model = make();
    it('scores 2 s windows every 1 s with distributions summing to 1', () => {
      const windows = scoreWindows(speechLike(5), { model });
      expect(windows.map((w) => [w.startMs, w.endMs])).toEqual([
        [0, 2000],
        [1000, 3000],
        [2000, 4000],
        [3000, 5000],
      ]);
      for (const w of windows) {
        const total = EMOTIONS.reduce((s, e) => s + w.probs[e], 0);
        expect(total).toBeCloseTo(1, 5);
      }
      const overall = averageProbs(windows);
      expect(EMOTIONS.reduce((s, e) => s + overall[e], 0)).toBeCloseTo(1, 5);
    });
    it('honours window and hop options and scores short audio as one window', () => {
      expect(scoreWindows(speechLike(3), { model, windowMs: 1000, hopMs: 500 })).toHaveLength(5);
      const short = scoreWindows(speechLike(1), { model });
      expect(short).toHaveLength(1);
      expect(short[0]!.endMs).toBe(1000);
    });
    it('rejects audio shorter than a frame and non-positive windows', () => {
      expect(() => scoreWindows(new Float32Array(100), { model })).toThrow(ModelError);
      expect(() => scoreWindows(speechLike(1), { model, hopMs: 0 })).toThrow(ModelError);
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

describe('committed model', () => {
  it('loads and scores speech-like audio', () => {
    expect(existsSync(COMMITTED_MODEL_DIR)).toBe(true);
    const model = loadModel();
    const windows = scoreWindows(speechLike(3), { model });
    expect(windows.length).toBe(2);
    expect(model.labels).toEqual(EMOTIONS);
  });
});
