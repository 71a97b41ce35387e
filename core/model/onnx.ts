// The network on ONNX Runtime: the model as an ONNX graph, built in memory from its weights at load
// time (weights.bin stays the one source of truth: no .onnx file to drift from it). The graph
// computes what tdnnLogits does (tfjs.ts) plus softmax(logits / temperature) per ensemble member and
// their mean, so ONNX Runtime returns probabilities in one call whatever the number of members.
import onnxProto from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';
import { modelExplainLayout } from './explain.ts';
import type { EmotionModel } from './format.ts';
import { EPSILON, inputWidth, type Network, type TdnnWeights } from './tdnn.ts';

const { onnx } = onnxProto;
const { AttributeType } = onnx.AttributeProto;

/** Graph input: network inputs [batch, frames, inputWidth] (windowInput's layout, stacked). */
export const ONNX_INPUT = 'x';
/** Graph output: class probabilities [batch, classes] in model.labels order. */
export const ONNX_OUTPUT = 'probs';
/**
 * Explaining graph's second output: per window the probabilities with each explanation segment left
 * out of the pooling, [batch, segments, classes] (explain.ts).
 */
export const ONNX_OCCLUDED = 'occluded';
/** LayerNormalization needs opset 17. */
const OPSET = 17;

type Layout = 'ntc' | 'nct';

/**
 * Serialised ONNX ModelProto of `model`'s network, temperature and softmax; with `explain`, the
 * leave-one-segment-out probabilities as a second output (a separate graph: ONNX Runtime runs every
 * node of a graph whatever outputs are fetched).
 */
export function tdnnOnnx(model: EmotionModel, explain = false): Uint8Array {
  const layout = explain ? modelExplainLayout(model) : undefined;
  const { network: cfg } = model;
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  let counter = 0;
  const fresh = (prefix: string) => `${prefix}${counter++}`;
  const constant = (prefix: string, dims: number[], values: Float32Array) => {
    const name = fresh(prefix);
    // ONNX raw data is little-endian whatever the host.
    const raw = new Uint8Array(values.byteLength);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => {
      view.setFloat32(4 * i, v, true);
    });
    initializers.push(
      onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw }),
    );
    return name;
  };
  const int64s = (prefix: string, values: number[]) => {
    const name = fresh(prefix);
    initializers.push(
      onnx.TensorProto.create({
        name,
        dims: [values.length],
        dataType: onnx.TensorProto.DataType.INT64,
        int64Data: values,
      }),
    );
    return name;
  };
  const ints = (name: string, values: number[]) =>
    onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: values });
  const int = (name: string, value: number) =>
    onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
  const node = (
    opType: string,
    inputs: string[],
    attribute: InstanceType<typeof onnx.AttributeProto>[] = [],
  ) => {
    const output = fresh(opType.toLowerCase());
    nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: [output], attribute }));
    return output;
  };

  /** Dense layers, temperature and softmax over the last axis of pooled statistics, into `output`. */
  const head = (weights: TdnnWeights, pooled: string, width0: number, output: string, perSegment = false) => {
    let z = pooled;
    let inputs = width0;
    weights.dense.forEach((p, i) => {
      const width = p.b.length;
      const w = constant('w', [inputs, width], p.w);
      const b = constant('b', [width], p.b);
      // Gemm is 2-D only; the explaining head's input is [batch, segments, features].
      z = perSegment ? node('Add', [node('MatMul', [z, w]), b]) : node('Gemm', [z, w, b]);
      if (i < weights.dense.length - 1) z = node('Relu', [z]);
      inputs = width;
    });
    const scaled = node('Div', [z, constant('temperature', [], Float32Array.of(model.temperature))]);
    nodes.push(
      onnx.NodeProto.create({
        opType: 'Softmax',
        input: [scaled],
        output: [output],
        attribute: [int('axis', -1)],
      }),
    );
  };

  /**
   * Leave-one-segment-out statistics of frame embeddings `h` [batch, time, channels] and `squares`
   * (h²): per-segment sums by one MatMul with the membership matrix, subtracted from the totals.
   */
  const occludedStats = (h: string, squares: string, channels: number) => {
    const { membership, counts, outputFrames, segments } = layout!;
    const m = constant('membership', [segments, outputFrames], membership);
    const rest = constant(
      'rest',
      [segments, 1],
      counts.map((c) => outputFrames - c),
    );
    const overTime = int64s('axes', [1]);
    const leaveOut = (x: string) =>
      node('Div', [
        node('Sub', [node('ReduceSum', [x, overTime], [int('keepdims', 1)]), node('MatMul', [m, x])]),
        rest,
      ]);
    const mean = leaveOut(h);
    const variance = node('Relu', [node('Sub', [leaveOut(squares), node('Mul', [mean, mean])])]);
    const std = node('Sqrt', [node('Add', [variance, constant('eps', [], Float32Array.of(EPSILON))])]);
    return { stats: node('Concat', [mean, std], [int('axis', 2)]), width: 2 * channels };
  };

  /**
   * One member's network, temperature and softmax, writing its probabilities to `output` (and its
   * leave-one-segment-out probabilities to `occludedOutput` in the explaining graph).
   */
  const member = (weights: TdnnWeights, output: string, occludedOutput?: string) => {
    let h = ONNX_INPUT;
    let layout: Layout = 'ntc';
    // Conv reads [batch, channels, time], LayerNormalization normalises the last axis: transpose
    // only where the next op needs the other layout.
    const as = (target: Layout) => {
      if (layout !== target) h = node('Transpose', [h], [ints('perm', [0, 2, 1])]);
      layout = target;
    };
    let inputs = inputWidth(cfg);
    cfg.layers.forEach((l, i) => {
      const { w, b } = weights.layers[i]!;
      const bias = constant('b', [l.channels], b);
      if (l.context === 1) {
        // One tap is a per-frame matMul: stay in [batch, time, channels].
        as('ntc');
        h = node('Add', [node('MatMul', [h, constant('w', [inputs, l.channels], w)]), bias]);
      } else {
        // Stored [inputs, context·channels] tap-major; Conv wants [channels, inputs, context].
        const kernel = new Float32Array(w.length);
        for (let c = 0; c < l.channels; c++)
          for (let j = 0; j < inputs; j++)
            for (let k = 0; k < l.context; k++)
              kernel[(c * inputs + j) * l.context + k] = w[j * l.context * l.channels + k * l.channels + c]!;
        as('nct');
        h = node(
          'Conv',
          [h, constant('w', [l.channels, inputs, l.context], kernel), bias],
          [ints('kernel_shape', [l.context]), ints('dilations', [l.dilation])],
        );
      }
      h = node('Relu', [h]);
      as('ntc');
      h = node(
        'LayerNormalization',
        [h, constant('gain', [l.channels], new Float32Array(l.channels).fill(1))],
        [
          int('axis', -1),
          onnx.AttributeProto.create({ name: 'epsilon', type: AttributeType.FLOAT, f: EPSILON }),
        ],
      );
      inputs = l.channels;
    });
    // Statistics pooling over time: mean and sqrt(relu(E[h²] − mean²) + ε).
    const overTime = [ints('axes', [1]), int('keepdims', 0)];
    const squares = node('Mul', [h, h]);
    const mean = node('ReduceMean', [h], overTime);
    const meanSquare = node('ReduceMean', [squares], overTime);
    const variance = node('Relu', [node('Sub', [meanSquare, node('Mul', [mean, mean])])]);
    const std = node('Sqrt', [node('Add', [variance, constant('eps', [], Float32Array.of(EPSILON))])]);
    head(weights, node('Concat', [mean, std], [int('axis', 1)]), 2 * inputs, output);
    if (occludedOutput !== undefined) {
      const { stats, width } = occludedStats(h, squares, inputs);
      head(weights, stats, width, occludedOutput, true);
    }
  };
  const outputs = [ONNX_OUTPUT, ...(layout ? [ONNX_OCCLUDED] : [])];
  if (model.members.length === 1) member(model.members[0]!, ONNX_OUTPUT, layout && ONNX_OCCLUDED);
  else {
    const each = model.members.map((weights) => {
      const probs = fresh('member');
      const occluded = layout && fresh('occluded');
      member(weights, probs, occluded);
      return { probs, occluded };
    });
    nodes.push(
      onnx.NodeProto.create({ opType: 'Mean', input: each.map((e) => e.probs), output: [ONNX_OUTPUT] }),
    );
    if (layout)
      nodes.push(
        onnx.NodeProto.create({
          opType: 'Mean',
          input: each.map((e) => e.occluded!),
          output: [ONNX_OCCLUDED],
        }),
      );
  }

  const tensor = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'voicepulse',
    graph: {
      name: model.version,
      node: nodes,
      initializer: initializers,
      input: [tensor(ONNX_INPUT, ['batch', cfg.frames, inputWidth(cfg)])],
      output: outputs.map((name) =>
        name === ONNX_OUTPUT
          ? tensor(name, ['batch', cfg.classes])
          : tensor(name, ['batch', layout!.segments, cfg.classes]),
      ),
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/**
 * One intra-op thread on the calling thread (scaling is by scoring threads, one per core), every
 * graph optimisation (the int8 QDQ fusions are level 2).
 */
export const ONNX_SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3, // errors only: `classify --json` keeps stderr clean
} as const;

/**
 * `model`'s network in an ONNX Runtime session (`ort`: onnxruntime-node, imported by runtime.ts);
 * `transform` rewrites each graph before it loads (quantize.ts: the int8 runtime).
 */
export async function onnxNetwork(
  model: EmotionModel,
  ort: typeof Ort,
  transform: (graph: Uint8Array, explaining: boolean) => Uint8Array = (graph) => graph,
): Promise<Network> {
  const open = (explain: boolean) =>
    ort.InferenceSession.create(transform(tdnnOnnx(model, explain), explain), ONNX_SESSION_OPTIONS);
  const session = await open(false);
  // Built on first use: a process that never explains never pays for the second graph.
  let explaining: Promise<Ort.InferenceSession> | undefined;
  const { frames } = model.network;
  const width = inputWidth(model.network);
  const input = (x: Float32Array, batch: number) => ({
    [ONNX_INPUT]: new ort.Tensor('float32', x, [batch, frames, width]),
  });
  return {
    async run(x, batch) {
      return (await session.run(input(x, batch)))[ONNX_OUTPUT]!.data as Float32Array;
    },
    async explain(x, batch) {
      explaining ??= open(true);
      const out = await (await explaining).run(input(x, batch));
      return {
        probs: out[ONNX_OUTPUT]!.data as Float32Array,
        occluded: out[ONNX_OCCLUDED]!.data as Float32Array,
      };
    },
    async release() {
      await session.release();
      if (explaining) await (await explaining).release();
    },
  };
}
