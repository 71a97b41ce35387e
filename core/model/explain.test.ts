import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { findCorpus } from '../../test/testing/corpus.ts';
import { readWavFile } from '../audio/wav.ts';
import { concat, voiced } from '../streaming/testing/synthetic.ts';
import { explainLayout, modelExplainLayout, msPerNetworkFrame } from './explain.ts';
import { loadModel } from './format.ts';
import { ModelStream, openRunner } from './runner.ts';
import { initTfjs, statsPooling, tdnnFrames, tdnnHead, weightTensors } from './tfjs.ts';
import { seededModel } from './untrained.ts';
import { modelFeatures, modelInput } from './windows.ts';

const v4 = loadModel();

describe('explainLayout', () => {
  it('puts every output frame of a v4 window in exactly one of ten 200 ms segments', () => {
    const layout = modelExplainLayout(v4);
    expect(msPerNetworkFrame(v4)).toBe(20);
    expect(layout.outputFrames).toBe(86); // 100 frames, receptive field 15
    expect(layout.segments).toBe(10);
    expect(layout.spans).toEqual(Array.from({ length: 10 }, (_, k) => [10 * k, 10 * k + 10]));
    for (let t = 0; t < layout.outputFrames; t++) {
      let owners = 0;
      for (let s = 0; s < layout.segments; s++) owners += layout.membership[s * layout.outputFrames + t]!;
      expect(owners).toBe(1);
    }
    // Edge segments hold the frames whose receptive-field centre falls in them: 3 each, 10 inside.
    expect([...layout.counts]).toEqual([3, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
  });

  it('drops segments no output frame is centred in', () => {
    const cfg = { ...v4.network, frames: 20, layers: [{ context: 15, dilation: 1, channels: 4 }] };
    const layout = explainLayout(cfg, 20); // 400 ms: two 200 ms segments; centres 7..12
    expect(layout.segments).toBe(2);
    expect([...layout.counts]).toEqual([3, 3]);
  });
});

/** Leave-one-out by hand: each segment's frames removed before pooling, then the head (one member). */
async function bruteForce(model: ReturnType<typeof seededModel>, input: Float32Array) {
  await initTfjs();
  const layout = modelExplainLayout(model);
  const params = weightTensors(model.network, model.members[0]!);
  const x = tf.tensor3d(input, [1, model.network.frames, input.length / model.network.frames]);
  const h = tdnnFrames(model.network, params, x);
  const out = layout.spans.map((_, s) => {
    const keep = Array.from({ length: layout.outputFrames }, (_, t) => t).filter(
      (t) => layout.membership[s * layout.outputFrames + t] === 0,
    );
    const pooled = statsPooling(tf.gather(h, keep, 1) as tf.Tensor3D);
    return tf.softmax(tf.div(tdnnHead(params, pooled), model.temperature)).dataSync() as Float32Array;
  });
  tf.dispose([x, h]);
  return out;
}

describe('explainWindows', () => {
  const speech = voiced(2000, { seed: 3 });
  const window = (samples: Float32Array) => [{ stream: new ModelStream(), samples }];

  it('scores as scoreWindows does and weighs each segment by a by-hand leave-one-out, on both runtimes', async () => {
    const model = seededModel('explain');
    const layout = modelExplainLayout(model);
    const want = await bruteForce(model, modelInput(model, modelFeatures(model, speech), 0, 201));
    for (const runtime of ['onnx', 'tfjs-wasm'] as const) {
      const runner = await openRunner(model, { runtime });
      const [plain] = await runner.scoreWindows(window(speech));
      const [explained] = await runner.explainWindows(window(speech));
      for (let c = 0; c < 6; c++) expect(explained!.probs[c]).toBeCloseTo(plain![c]!, 5);
      const e = explained!.explanation!;
      expect(e.label).toBe(plain!.indexOf(Math.max(...plain!)));
      expect(e.segments.map((s) => [s.startMs, s.endMs])).toEqual(
        layout.spans.map(([a, b]) => [20 * a, 20 * b]),
      );
      e.segments.forEach((s, k) => {
        expect(s.weight, `${runtime} segment ${k}`).toBeCloseTo(plain![e.label]! - want[k]![e.label]!, 4);
      });
      // Not all zero: removing a segment does change the score.
      expect(Math.max(...e.segments.map((s) => Math.abs(s.weight)))).toBeGreaterThan(1e-4);
      await runner.release();
    }
  });

  it('averages an ensemble’s leave-one-out probabilities the same way on both runtimes', async () => {
    const model = {
      ...seededModel('explain'),
      members: [seededModel('a').members[0]!, seededModel('b').members[0]!],
    };
    const [onnx, wasm] = [
      await openRunner(model, { runtime: 'onnx' }),
      await openRunner(model, { runtime: 'tfjs-wasm' }),
    ];
    const [a] = await onnx.explainWindows(window(speech));
    const [b] = await wasm.explainWindows(window(speech));
    expect(a!.explanation!.label).toBe(b!.explanation!.label);
    a!.explanation!.segments.forEach((s, k) => {
      expect(s.weight).toBeCloseTo(b!.explanation!.segments[k]!.weight, 4);
    });
    await Promise.all([onnx.release(), wasm.release()]);
  });

  it('does not explain a window shorter than the model’s (tiled)', async () => {
    const runner = await openRunner(seededModel('explain'), { runtime: 'onnx' });
    const [short] = await runner.explainWindows(window(voiced(1200)));
    expect(short!.probs).toHaveLength(6);
    expect(short!.explanation).toBeUndefined();
    await runner.release();
  });
});

const data = findCorpus('ravdess');
describe.skipIf(data === undefined)('explanations of the committed model on real speech', () => {
  it('put the evidence for an emotion in the emotional half of a window spliced from one actor’s emotional and neutral speech', async () => {
    const runner = await openRunner(v4, { runtime: 'onnx' });
    const clip = async (actor: string, emotion: string, intensity: string) => {
      const file = join(data!, `Actor_${actor}`, `03-01-${emotion}-${intensity}-01-01-${actor}.wav`);
      const x = (await readWavFile(file)).channels[0]!;
      const start = Math.max(0, Math.floor((x.length - 8000) / 2));
      return x.slice(start, start + 8000); // the middle second
    };
    const half = (segments: { startMs: number; weight: number }[], first: boolean) =>
      segments.filter((s) => s.startMs < 1000 === first).reduce((m, s) => m + s.weight, 0);
    let explained = 0;
    let right = 0;
    for (const actor of ['01', '04', '09', '18']) {
      const neutral = await clip(actor, '01', '01');
      for (const [code, label] of [
        ['05', 0],
        ['03', 3],
        ['04', 5],
      ] as const) {
        const emotional = await clip(actor, code, '02');
        for (const emotionalFirst of [true, false]) {
          const samples = emotionalFirst ? concat(emotional, neutral) : concat(neutral, emotional);
          const [w] = await runner.explainWindows([{ stream: new ModelStream(), samples }]);
          if (w!.explanation!.label !== label) continue; // explained as something else: no claim
          explained++;
          const segments = w!.explanation!.segments;
          if (half(segments, emotionalFirst) > half(segments, !emotionalFirst)) right++;
        }
      }
    }
    expect(explained).toBeGreaterThanOrEqual(10);
    // Measured 2026-12: 13 of the 14 windows explained as the spliced emotion (angry, happy, sad).
    expect(right / explained).toBeGreaterThanOrEqual(0.8);
    await runner.release();
  });
});
