import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import type { EmotionModel } from './format.ts';
import { ONNX_INPUT, ONNX_OUTPUT, tdnnOnnx } from './onnx.ts';
import { openRunner } from './runner.ts';
import { inputWidth, type TdnnConfig } from './tdnn.ts';
import { randomTdnn } from './testing/tdnn.ts';

/** Probabilities of `inputs` through `model`'s network on ONNX Runtime and on tfjs wasm. */
async function bothRuntimes(model: EmotionModel, inputs: Float32Array[]) {
  const [onnx, wasm] = [
    await openRunner(model, { runtime: 'onnx' }),
    await openRunner(model, { runtime: 'tfjs-wasm' }),
  ];
  const [got, want] = [await onnx.networkProbs(inputs), await wasm.networkProbs(inputs)];
  await Promise.all([onnx.release(), wasm.release()]);
  return { got, want };
}

const base = { nMels: 6, pool: 1, frames: 20, classes: 6 };
const shapes: Array<[string, TdnnConfig]> = [
  [
    'dilated layers, one hidden dense layer',
    {
      ...base,
      layers: [
        { context: 3, dilation: 1, channels: 8 },
        { context: 2, dilation: 3, channels: 5 },
      ],
      dense: [7],
    },
  ],
  [
    'a one-tap first layer, no hidden dense layer',
    {
      ...base,
      layers: [
        { context: 1, dilation: 1, channels: 9 },
        { context: 4, dilation: 2, channels: 6 },
      ],
      dense: [],
    },
  ],
  [
    'prosody channels, one-tap middle layer, two hidden dense layers',
    {
      ...base,
      prosody: true,
      layers: [
        { context: 5, dilation: 1, channels: 8 },
        { context: 1, dilation: 1, channels: 10 },
        { context: 3, dilation: 3, channels: 8 },
      ],
      dense: [6, 5],
    },
  ],
];

describe('tdnnOnnx', () => {
  const cases: Array<[string, TdnnConfig, number]> = [
    ...shapes.map(([name, network]): [string, TdnnConfig, number] => [name, network, 1]),
    ['a 3-member ensemble', shapes[2]![1], 3],
  ];
  for (const [name, network, members] of cases)
    it(`computes what tfjs computes (${name})`, async () => {
      const model = randomTdnn(network, name, { members });
      const random = seededRandom(`${name} inputs`);
      const size = network.frames * inputWidth(network);
      const inputs = Array.from({ length: 5 }, (_, i) =>
        Float32Array.from({ length: size }, () => (random() - 0.5) * (1 + i)),
      );
      const { got, want } = await bothRuntimes(model, inputs);
      expect(got).toHaveLength(inputs.length);
      want.forEach((p, i) => {
        expect(got[i]).toHaveLength(network.classes);
        p.forEach((v, c) => {
          expect(Math.abs(got[i]![c]! - v)).toBeLessThan(1e-5);
        });
        expect(got[i]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      });
    });

  it('declares opset 17, a batch-sized input of network frames and the class probabilities', () => {
    const [, network] = shapes[0]!;
    const proto = onnxProto.onnx.ModelProto.decode(tdnnOnnx(randomTdnn(network, 'decl')));
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const graph = proto.graph as onnxProto.onnx.GraphProto;
    const dims = (v: onnxProto.onnx.IValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input.map((v) => [v.name, dims(v)])).toEqual([[ONNX_INPUT, ['batch', 20, 6]]]);
    expect(graph.output.map((v) => [v.name, dims(v)])).toEqual([[ONNX_OUTPUT, ['batch', 6]]]);
    expect(graph.node.at(-1)!.opType).toBe('Softmax');
    // An ensemble averages its members' softmax outputs in the graph: still one input, one output.
    const ensemble = onnxProto.onnx.ModelProto.decode(tdnnOnnx(randomTdnn(network, 'decl', { members: 2 })));
    const nodes = (ensemble.graph as onnxProto.onnx.GraphProto).node;
    expect(nodes.filter((n) => n.opType === 'Softmax')).toHaveLength(2);
    expect(nodes.at(-1)!.opType).toBe('Mean');
    expect(nodes.at(-1)!.output).toEqual([ONNX_OUTPUT]);
  });
});
