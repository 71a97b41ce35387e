import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, silence, voiced } from '../streaming/testing/synthetic.ts';
import { type EmotionModel, loadModel, QUANTIZATION_SCHEME } from './format.ts';
import { tdnnOnnx } from './onnx.ts';
import {
  activationParams,
  activationPoints,
  calibrate,
  probeGraph,
  QuantizeError,
  quantizeGraph,
} from './quantize.ts';
import { type ModelRunner, ModelStream, openRunner } from './runner.ts';
import { randomTdnn } from './testing/tdnn.ts';
import { modelFeatures, modelInput, modelWindowFrames } from './windows.ts';

const { onnx } = onnxProto;
const dir = mkdtempSync(join(tmpdir(), 'vp-quantize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Speech-like audio with a pause, varied by seed. */
const audio = (seed: number) =>
  concat(
    voiced(1200, { f0: 90 + 7 * seed, amplitude: 0.05 + 0.01 * (seed % 30), seed }),
    silence(150 + 10 * (seed % 7)),
    voiced(1400, { f0: 250 - 3 * seed, seed: seed + 1 }),
  );

/** Network inputs of the windows of audio(seed) for each seed: a full 2 s window and a tiled shorter one. */
const windows = (model: EmotionModel, seeds: number[]) =>
  seeds.flatMap((seed) => {
    const features = modelFeatures(model, audio(seed));
    return modelWindowFrames(model, features.cols).map(([s, e]) => modelInput(model, features, s, e));
  });

const seeds = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** `model` with ranges calibrated on synthetic windows (seeds 0–23; tests score others). */
async function calibrated(model: EmotionModel, method: 'minmax' | 'percentile' = 'minmax') {
  const inputs = windows(model, seeds(24));
  const ranges = await calibrate(model, ort, inputs, method);
  return {
    ...model,
    quantization: { scheme: QUANTIZATION_SCHEME, calibration: { method, windows: inputs.length }, ...ranges },
  };
}

/** Largest absolute probability difference, and the share of equal argmaxes, of two runners. */
async function agreement(a: ModelRunner, b: ModelRunner, inputs: Float32Array[]) {
  const [pa, pb] = [await a.networkProbs(inputs), await b.networkProbs(inputs)];
  const argmax = (p: Float32Array) => p.indexOf(Math.max(...p));
  let max = 0;
  pa.forEach((p, i) => {
    p.forEach((v, c) => {
      max = Math.max(max, Math.abs(v - pb[i]![c]!));
    });
  });
  return { max, same: pa.filter((p, i) => argmax(p) === argmax(pb[i]!)).length / inputs.length };
}

/** Op counts of a serialised graph, and how many initializers have each data type. */
function census(graph: Uint8Array) {
  const g = onnx.ModelProto.decode(graph).graph!;
  const count = <T>(items: T[]) => {
    const out = new Map<T, number>();
    for (const i of items) out.set(i, (out.get(i) ?? 0) + 1);
    return out;
  };
  return { ops: count(g.node!.map((n) => n.opType)), types: count(g.initializer!.map((t) => t.dataType)) };
}

/** The graph ONNX Runtime runs after its optimisations (QDQ fusion) for `graph`. */
async function optimised(graph: Uint8Array, name: string): Promise<Uint8Array> {
  const optimizedModelFilePath = join(dir, name);
  const session = await ort.InferenceSession.create(graph, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    optimizedModelFilePath,
  });
  await session.release();
  return readFileSync(optimizedModelFilePath);
}

describe('int8 quantisation of the committed model', () => {
  const committed = loadModel();
  let model: EmotionModel;
  let float: ModelRunner;
  let int8: ModelRunner;
  beforeAll(async () => {
    model = await calibrated(committed);
    [float, int8] = [
      await openRunner(model, { runtime: 'onnx' }),
      await openRunner(model, { runtime: 'onnx-int8' }),
    ];
  });
  afterAll(async () => {
    await Promise.all([float.release(), int8.release()]);
  });

  it('scores windows it was not calibrated on close to float (8-bit weights, which saturate on AVX2, were 0.15 off)', async () => {
    // Measured here: 0.032 at most, 63 of 64 argmaxes; on corpus windows 0.005 on average (docs/model-history.md).
    const { max, same } = await agreement(float, int8, windows(model, seeds(32, 100)));
    expect(max).toBeLessThan(0.05);
    expect(same).toBeGreaterThanOrEqual(0.95);
  });

  it('explains with int8 too: the same probabilities as scoring, explanations close to float’s', async () => {
    const stream = () => new ModelStream();
    const live = [audio(200), audio(201)].map((x) => ({ samples: x.subarray(0, 16_000), stream: stream() }));
    const [f, q] = [await float.explainWindows(live), await int8.explainWindows(live)];
    for (const [i, w] of q.entries()) {
      const plain = (await int8.scoreWindows([{ samples: live[i]!.samples, stream: stream() }]))[0]!;
      w.probs.forEach((p, c) => {
        expect(p).toBeCloseTo(plain[c]!, 5);
      });
      expect(w.explanation!.label).toBe(f[i]!.explanation!.label);
      const [a, b] = [w, f[i]!].map((e) => e.explanation!.segments.map((s) => s.weight)) as [
        number[],
        number[],
      ];
      expect(a).toHaveLength(b.length);
      a.forEach((v, s) => {
        expect(Math.abs(v - b[s]!)).toBeLessThan(0.05);
      });
    }
  });

  it('holds int8 weights, int32 biases and a QuantizeLinear per activation, which ONNX Runtime fuses into integer kernels', async () => {
    const graph = quantizeGraph(tdnnOnnx(model), model.quantization!.ranges);
    const { ops, types } = census(graph);
    const members = model.members.length;
    const convs = model.network.layers.filter((l) => l.context > 1).length;
    const matmuls = model.network.layers.length - convs;
    const gemms = model.network.dense.length + 1;
    // Every weight int8 and every Conv and Gemm bias int32 (each with its zero points): no float
    // matrix is left.
    expect(types.get(onnx.TensorProto.DataType.INT8)).toBe(2 * members * (convs + matmuls + gemms));
    expect(types.get(onnx.TensorProto.DataType.INT32)).toBe(2 * members * (convs + gemms));
    const floatMatrices = onnx.ModelProto.decode(graph).graph!.initializer!.filter(
      (t) => t.dataType === onnx.TensorProto.DataType.FLOAT && t.dims!.length > 1,
    );
    expect(floatMatrices).toEqual([]);
    expect(ops.get('QuantizeLinear')).toBe(model.quantization!.ranges.length);
    expect(ops.get('DequantizeLinear')).toBe(
      model.quantization!.ranges.length + members * (2 * convs + matmuls + 2 * gemms),
    );
    // What runs: QLinearConv (ReLU folded), MatMulIntegerToFloat, QGemm; no float Conv, MatMul or Gemm.
    const run = census(await optimised(graph, 'int8.onnx')).ops;
    expect(run.get('QLinearConv')).toBe(members * convs);
    expect(run.get('MatMulIntegerToFloat')).toBe(members * matmuls);
    expect(run.get('QGemm')).toBe(members * gemms);
    for (const op of ['Conv', 'MatMul', 'Gemm', 'FusedConv', 'FusedMatMul', 'FusedGemm'])
      expect(run.has(op), op).toBe(false);
  });

  it('refuses ranges that do not match the graph, and a model without calibration', async () => {
    const ranges = model.quantization!.ranges;
    expect(() => quantizeGraph(tdnnOnnx(model), ranges.slice(1))).toThrow(QuantizeError);
    expect(() => quantizeGraph(tdnnOnnx(model), ranges.slice(1))).toThrow(
      /^RANGES_MISMATCH: the graph has 36 activations to quantise and the calibration 35 ranges/,
    );
    await expect(openRunner(committed, { runtime: 'onnx-int8' })).rejects.toThrow(
      "runtime 'onnx-int8' failed to start: NO_RANGES: model emotion-tdnn-v4 has no int8 calibration",
    );
  });

  it('is opt-in: auto picks float ONNX Runtime even for a calibrated model', async () => {
    const auto = await openRunner(model, {});
    expect(auto.runtime).toBe('onnx');
    await auto.release();
  });
});

describe('int8 quantisation pieces', () => {
  // A one-tap first layer reads the graph input itself (a MatMul on x), prosody channels, two dense layers.
  const network = {
    nMels: 6,
    prosody: true,
    pool: 1,
    frames: 20,
    layers: [
      { context: 1, dilation: 1, channels: 9 },
      { context: 3, dilation: 2, channels: 8 },
    ],
    dense: [7, 5],
    classes: 6,
  };
  const small = randomTdnn(network, 'quantize', { members: 2, scale: 4 });
  const inputs = Array.from({ length: 40 }, (_, k) =>
    Float32Array.from({ length: 20 * 9 }, (_, i) => Math.sin(0.37 * i + k) * (1 + (k % 5))),
  );

  it('exposes each activation point to calibration, and percentiles fall inside the extremes', async () => {
    const graph = tdnnOnnx(small);
    const points = activationPoints(graph);
    // x (read by both members' one-tap layer), and per member the Conv's input and ReLU and the
    // three dense layers' inputs.
    expect(points).toHaveLength(1 + 2 * 5);
    expect(points).toContain('x');
    const outputs = onnx.ModelProto.decode(probeGraph(graph)).graph!.output!.map((o) => o.name);
    expect(outputs.slice(1).sort()).toEqual([...new Set(points)].sort());
    const minmax = await calibrate(small, ort, inputs, 'minmax');
    const percentile = await calibrate(small, ort, inputs, 'percentile', 99);
    expect(percentile.ranges).toHaveLength(minmax.ranges.length);
    let narrower = 0;
    percentile.ranges.forEach(([lo, hi], i) => {
      const [mlo, mhi] = minmax.ranges[i]!;
      expect(lo).toBeGreaterThanOrEqual(mlo - 1e-9);
      expect(hi).toBeLessThanOrEqual(mhi + 1e-9);
      if (hi - lo < 0.99 * (mhi - mlo)) narrower++;
    });
    expect(narrower).toBeGreaterThan(0);
  });

  it('quantises a graph whose first quantised op reads the graph input, close to float', async () => {
    const ranges = await calibrate(small, ort, inputs, 'minmax');
    const model = {
      ...small,
      quantization: {
        scheme: QUANTIZATION_SCHEME,
        calibration: { method: 'minmax' as const, windows: 40 },
        ...ranges,
      },
    };
    const [float, int8] = [
      await openRunner(model, { runtime: 'onnx' }),
      await openRunner(model, { runtime: 'onnx-int8' }),
    ];
    const { max } = await agreement(float, int8, inputs);
    expect(max).toBeGreaterThan(0); // it is not the float graph
    expect(max).toBeLessThan(0.05);
    await Promise.all([float.release(), int8.release()]);
  });

  it('maps a range to uint8 with 0 exact', () => {
    expect(activationParams([0, 5.1])).toEqual({ scale: 5.1 / 255, zeroPoint: 0 });
    expect(activationParams([-1, 3])).toEqual({ scale: 4 / 255, zeroPoint: 64 });
    // A range that misses 0 is widened to hold it.
    expect(activationParams([0.5, 2.55])).toEqual({ scale: 2.55 / 255, zeroPoint: 0 });
    expect(activationParams([0, 0])).toEqual({ scale: 1, zeroPoint: 0 });
  });
});
