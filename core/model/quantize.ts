// The network in int8 on ONNX Runtime (the opt-in `onnx-int8` runtime): a transform of the float graph
// (onnx.ts tdnnOnnx) into a QDQ graph, built at load time like the float one (no .onnx file). The
// weights of Conv, MatMul and Gemm become per-output-channel symmetric integers behind
// DequantizeLinear; each such op's activation input, and the ReLU output after it, pass through a
// QuantizeLinear→DequantizeLinear pair whose static uint8 parameters come from calibration ranges
// (model.json `quantization`, written by training/quantize-model.ts with `calibrate`). uint8
// activations with signed weights is what ONNX Runtime's CPU EP fuses on x86: QLinearConv (ReLU
// folded into its output), MatMulIntegerToFloat, QGemm; its QDQ selectors refuse int8 activations
// off ARM (QDQIsInt8Allowed). Layer normalisation, statistics pooling, softmax and the ensemble mean
// stay float.
import onnxProto from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';
import { VoicePulseError } from '../errors.ts';
import type { EmotionModel, ModelQuantization } from './format.ts';
import { ONNX_INPUT, ONNX_SESSION_OPTIONS, onnxNetwork, tdnnOnnx } from './onnx.ts';
import { inputWidth, type Network } from './tdnn.ts';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;
/** A decoded graph: protobufjs decodes into message instances, every field set. */
type Graph = Omit<InstanceType<typeof onnx.GraphProto>, 'node' | 'initializer'> & {
  node: Node[];
  initializer: Tensor[];
};

function decode(bytes: Uint8Array): { model: InstanceType<typeof onnx.ModelProto>; graph: Graph } {
  const model = onnx.ModelProto.decode(bytes);
  return { model, graph: model.graph as Graph };
}

export type QuantizeErrorCode =
  /** The model has no calibration ranges (model.json `quantization`). */
  | 'NO_RANGES'
  /** The ranges do not match the graph's activation points (the graph changed since calibration). */
  | 'RANGES_MISMATCH'
  /** A weight the transform quantises is not a float initializer. */
  | 'UNSUPPORTED_GRAPH';

export class QuantizeError extends VoicePulseError<QuantizeErrorCode> {}

/** [lo, hi] of each activation point, in activationPoints order. */
export type Ranges = readonly (readonly [number, number])[];

/** Ops whose weights and activation input are quantised, when their input 1 is an initializer. */
const QUANTISED = new Set(['Conv', 'MatMul', 'Gemm']);
/**
 * Weights use 7 bits, [-63, 63] (symmetric: zero points 0). x86 without VNNI multiplies u8×s8 with
 * VPMADDUBSW, which saturates a pair of products at 16 bits (255·127·2 > 32767); 7-bit weights
 * cannot (255·64·2 < 32767). On emotion-tdnn-v4, 8-bit weights left the window probabilities 0.027
 * from float on average (5 % of argmaxes changed), 7-bit 0.005 (docs/model-history.md).
 */
const WEIGHT_MAX = 63;
/** Windows per calibration run. */
const CALIBRATION_BATCH = 32;
/** Histogram bins per activation for percentile ranges. */
const BINS = 4096;

/** The ops the transform quantises, in graph order. */
function quantisedNodes(graph: Graph): Node[] {
  const initializers = new Set(graph.initializer.map((t) => t.name));
  return graph.node.filter((n) => QUANTISED.has(n.opType) && initializers.has(n.input[1]!));
}

/**
 * The tensors whose ranges the int8 graph needs, in graph order: each quantised op's activation
 * input, and the output of a ReLU that is the op's only consumer (after a Conv this lets ONNX Runtime
 * fuse Conv, ReLU and QuantizeLinear into one QLinearConv).
 */
function points(graph: Graph): string[] {
  const consumers = new Map<string, Node[]>();
  for (const n of graph.node)
    for (const name of n.input) consumers.set(name, [...(consumers.get(name) ?? []), n]);
  const out = new Set<string>();
  for (const n of quantisedNodes(graph)) {
    out.add(n.input[0]!);
    const next = consumers.get(n.output[0]!);
    if (next?.length === 1 && next[0]!.opType === 'Relu') out.add(next[0]!.output[0]!);
  }
  return [...out];
}

/** The activation points of a serialised float graph: what calibration measures. */
export function activationPoints(floatGraph: Uint8Array): string[] {
  return points(decode(floatGraph).graph);
}

/** The float graph with every activation point as an extra output, for calibration. */
export function probeGraph(floatGraph: Uint8Array): Uint8Array {
  const { model, graph } = decode(floatGraph);
  for (const name of points(graph))
    graph.output.push(
      onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DataType.FLOAT } } }),
    );
  return onnx.ModelProto.encode(model).finish();
}

/** uint8 scale and zero point of an activation range, widened to hold 0 (so ReLU's 0 is exact). */
export function activationParams([lo, hi]: readonly [number, number]): { scale: number; zeroPoint: number } {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

function floats(t: Tensor): Float32Array {
  if (t.dataType !== DataType.FLOAT)
    throw new QuantizeError('UNSUPPORTED_GRAPH', `initializer ${t.name} is not float32`);
  if (t.floatData.length > 0) return Float32Array.from(t.floatData);
  const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
  return Float32Array.from({ length: t.rawData.byteLength >> 2 }, (_, i) => view.getFloat32(4 * i, true));
}

/** A tensor as little-endian raw data (what ONNX stores whatever the host). */
function tensor(name: string, dims: number[], dataType: number, values: ArrayLike<number>): Tensor {
  const wide = dataType === DataType.FLOAT || dataType === DataType.INT32;
  const raw = new Uint8Array(values.length * (wide ? 4 : 1));
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (dataType === DataType.FLOAT) view.setFloat32(4 * i, v, true);
    else if (dataType === DataType.INT32) view.setInt32(4 * i, v, true);
    else if (dataType === DataType.INT8) view.setInt8(i, v);
    else view.setUint8(i, v);
  }
  return onnx.TensorProto.create({ name, dims, dataType, rawData: raw });
}

/** Per-channel symmetric integers of `w` along `axis` of `dims`, and each channel's scale. */
function perChannel(w: Float32Array, dims: number[], axis: number): { q: Int8Array; scale: Float32Array } {
  const channels = dims[axis]!;
  const stride = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channel = (i: number) => Math.floor(i / stride) % channels;
  const scale = new Float32Array(channels);
  w.forEach((v, i) => {
    scale[channel(i)] = Math.max(scale[channel(i)]!, Math.abs(v));
  });
  scale.forEach((m, c) => {
    scale[c] = m > 0 ? m / WEIGHT_MAX : 1;
  });
  return { q: Int8Array.from(w, (v, i) => Math.round(v / scale[channel(i)]!)), scale };
}

/**
 * The QDQ int8 graph of a serialised float graph; `ranges` (one per activationPoints entry) fix the
 * activations' uint8 parameters.
 */
export function quantizeGraph(floatGraph: Uint8Array, ranges: Ranges): Uint8Array {
  const { model, graph } = decode(floatGraph);
  const names = points(graph);
  if (names.length !== ranges.length)
    throw new QuantizeError(
      'RANGES_MISMATCH',
      `the graph has ${names.length} activations to quantise and the calibration ${ranges.length} ranges: recalibrate (training/quantize-model.ts)`,
    );
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const added: Tensor[] = [];
  /** Each point's QuantizeLinear and DequantizeLinear, placed right after the point's producer. */
  const pairs = new Map<string, Node[]>();
  /** Each point's name → its DequantizeLinear output, which its consumers read instead. */
  const renamed = new Map<string, string>();
  /** Scale of each dequantised activation, by its DequantizeLinear output (for int32 biases). */
  const scales = new Map<string, number>();
  names.forEach((name, i) => {
    const { scale, zeroPoint } = activationParams(ranges[i]!);
    const [s, z, q, dq] = ['scale', 'zero_point', 'q', 'dq'].map((suffix) => `${name}/${suffix}`) as [
      string,
      string,
      string,
      string,
    ];
    added.push(tensor(s, [], DataType.FLOAT, [scale]), tensor(z, [], DataType.UINT8, [zeroPoint]));
    renamed.set(name, dq);
    scales.set(dq, scale);
    pairs.set(name, [
      onnx.NodeProto.create({ opType: 'QuantizeLinear', input: [name, s, z], output: [q] }),
      onnx.NodeProto.create({ opType: 'DequantizeLinear', input: [q, s, z], output: [dq] }),
    ]);
  });
  /** A DequantizeLinear along `axis` of integer `values` standing for the float initializer `name`. */
  const dequantized = (
    name: string,
    dims: number[],
    axis: number,
    dataType: number,
    values: ArrayLike<number>,
    scale: Float32Array,
  ) => {
    const [int, s, z, dq] = ['int', 'scale', 'zero_point', 'dq'].map((suffix) => `${name}/${suffix}`) as [
      string,
      string,
      string,
      string,
    ];
    added.push(
      tensor(int, dims, dataType, values),
      tensor(s, [scale.length], DataType.FLOAT, scale),
      tensor(z, [scale.length], dataType, new Int8Array(scale.length)),
    );
    return onnx.NodeProto.create({
      opType: 'DequantizeLinear',
      input: [int, s, z],
      output: [dq],
      attribute: [
        onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: axis }),
      ],
    });
  };
  const quantised = new Set(quantisedNodes(graph));
  const nodes: Node[] = graph.input.flatMap((v) => pairs.get(v.name ?? '') ?? []);
  for (const n of graph.node) {
    n.input = n.input.map((name) => renamed.get(name) ?? name);
    if (quantised.has(n)) {
      const w = initializers.get(n.input[1]!)!;
      const dims = w.dims.map(Number);
      // Output channels: Conv's first axis, MatMul's and an untransposed Gemm's last.
      const transB = Number(n.attribute.find((a) => a.name === 'transB')?.i ?? 0);
      const axis = n.opType === 'Conv' || transB === 1 ? 0 : dims.length - 1;
      const { q, scale } = perChannel(floats(w), dims, axis);
      nodes.push(dequantized(w.name, dims, axis, DataType.INT8, q, scale));
      n.input[1] = `${w.name}/dq`;
      // Conv's and Gemm's bias: int32 at input scale × weight scale, as QLinearConv and QGemm take it.
      const bias = n.input[2] ? initializers.get(n.input[2]) : undefined;
      if (bias) {
        const biasScale = scale.map((s) => s * scales.get(n.input[0]!)!);
        const b = floats(bias);
        const q32 = Int32Array.from(b, (v, c) => Math.round(v / biasScale[c]!));
        nodes.push(dequantized(bias.name, [b.length], 0, DataType.INT32, q32, biasScale));
        n.input[2] = `${bias.name}/dq`;
      }
    }
    nodes.push(n, ...n.output.flatMap((name) => pairs.get(name) ?? []));
  }
  graph.node = nodes;
  // The float weights and biases now read by nothing are dropped.
  const read = new Set(nodes.flatMap((n) => n.input));
  graph.initializer = [...graph.initializer, ...added].filter((t) => read.has(t.name));
  return onnx.ModelProto.encode(model).finish();
}

/** Ranges of the scoring graph and of the explaining graph (onnx.ts tdnnOnnx(model, true)). */
export type CalibratedRanges = Pick<ModelQuantization, 'ranges' | 'explainRanges'>;

/**
 * Activation ranges of `model`'s float scoring and explaining graphs over `inputs` (network inputs,
 * windows.ts modelInput): the extremes seen (minmax), or the `percentile`-th and
 * (100 − percentile)-th percentiles, read from a histogram over the extremes (a second pass).
 */
export async function calibrate(
  model: EmotionModel,
  ort: typeof Ort,
  inputs: readonly Float32Array[],
  method: ModelQuantization['calibration']['method'],
  percentile = 99.99,
): Promise<CalibratedRanges> {
  const measure = (graph: Uint8Array) => graphRanges(graph, model, ort, inputs, method, percentile);
  return { ranges: await measure(tdnnOnnx(model)), explainRanges: await measure(tdnnOnnx(model, true)) };
}

async function graphRanges(
  graph: Uint8Array,
  model: EmotionModel,
  ort: typeof Ort,
  inputs: readonly Float32Array[],
  method: ModelQuantization['calibration']['method'],
  percentile: number,
): Promise<[number, number][]> {
  const names = activationPoints(graph);
  const session = await ort.InferenceSession.create(probeGraph(graph), ONNX_SESSION_OPTIONS);
  const shape = (batch: number) => [batch, model.network.frames, inputWidth(model.network)];
  const size = model.network.frames * inputWidth(model.network);
  /** Calls `use` with each point's values, batch by batch. */
  const pass = async (use: (point: number, values: Float32Array) => void) => {
    for (let b = 0; b < inputs.length; b += CALIBRATION_BATCH) {
      const chunk = inputs.slice(b, b + CALIBRATION_BATCH);
      const x = new Float32Array(chunk.length * size);
      chunk.forEach((input, i) => {
        x.set(input, i * size);
      });
      const out = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x, shape(chunk.length)) });
      names.forEach((name, p) => {
        use(p, out[name]!.data as Float32Array);
      });
    }
  };
  try {
    const lo = new Float64Array(names.length).fill(Number.POSITIVE_INFINITY);
    const hi = new Float64Array(names.length).fill(Number.NEGATIVE_INFINITY);
    await pass((p, values) => {
      for (const v of values) {
        if (v < lo[p]!) lo[p] = v;
        if (v > hi[p]!) hi[p] = v;
      }
    });
    if (method === 'minmax') return names.map((_, p) => [lo[p]!, hi[p]!]);
    const width = (p: number) => hi[p]! - lo[p]! || 1;
    const hist = names.map(() => new Float64Array(BINS));
    await pass((p, values) => {
      const h = hist[p]!;
      const k = BINS / width(p);
      for (const v of values) h[Math.min(BINS - 1, Math.floor((v - lo[p]!) * k))]!++;
    });
    return hist.map((h, p) => {
      const tail = (h.reduce((a, b) => a + b, 0) * (100 - percentile)) / 100;
      let low = 0;
      for (let seen = 0; low < BINS && seen + h[low]! <= tail; low++) seen += h[low]!;
      let high = BINS;
      for (let seen = 0; high > 0 && seen + h[high - 1]! <= tail; high--) seen += h[high - 1]!;
      return [lo[p]! + (width(p) * low) / BINS, lo[p]! + (width(p) * high) / BINS];
    });
  } finally {
    await session.release();
  }
}

/**
 * `model`'s network as its QDQ int8 graphs on ONNX Runtime (onnx.ts's sessions over the transformed
 * graphs). Both graphs are checked against their ranges here, before any session opens.
 */
export async function int8Network(model: EmotionModel, ort: typeof Ort): Promise<Network> {
  if (!model.quantization)
    throw new QuantizeError(
      'NO_RANGES',
      `model ${model.version} has no int8 calibration (model.json quantization: training/quantize-model.ts writes it)`,
    );
  const { ranges, explainRanges } = model.quantization;
  const graphs = {
    scoring: quantizeGraph(tdnnOnnx(model), ranges),
    explaining: quantizeGraph(tdnnOnnx(model, true), explainRanges),
  };
  return onnxNetwork(model, ort, (_, explaining) => (explaining ? graphs.explaining : graphs.scoring));
}
