// Calibrates a model for the opt-in int8 runtime (core/model/quantize.ts, `onnx-int8`): runs its float
// graph over windows of training-split audio, cut and normalised by the product's own window path,
// and writes the activation ranges into model.json (`quantization`), so the product builds the int8
// graph at load time without the data. Windows are taken round-robin over the corpora present (each
// corpus's clips in a seeded shuffle), so no corpus sets the ranges alone. Usage:
//   node bin/run-ts.js training/quantize-model.ts [model dir] [--out dir] [--method percentile|minmax]
//     [--percentile 99.99] [--windows 512] [--data root]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as Ort from 'onnxruntime-node';
import { readWavFile } from '../core/audio/wav.ts';
import { parseEnv } from '../core/config/env.ts';
import { COMMITTED_MODEL_DIR, loadModel, QUANTIZATION_SCHEME, saveModel } from '../core/model/format.ts';
import { calibrate } from '../core/model/quantize.ts';
import { modelFeatures, modelWindowFrames, recordingInputs } from '../core/model/windows.ts';
import { seededRandom, shuffled } from '../core/random.ts';
import { labeledClips } from './dataset.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    method: { type: 'string', default: 'percentile' },
    percentile: { type: 'string', default: '99.99' },
    windows: { type: 'string', default: '512' },
    data: { type: 'string', default: parseEnv(process.env).data.root },
  },
});
const method = values.method;
if (method !== 'percentile' && method !== 'minmax') throw new Error('--method is percentile or minmax');
const percentile = Number(values.percentile);
const wanted = Number(values.windows);
const modelDir = positionals[0] ?? COMMITTED_MODEL_DIR;
const model = loadModel(modelDir);
const data = values.data;

const random = seededRandom('quantize-model');
const byCorpus = new Map<string, ReturnType<typeof labeledClips>>();
for (const c of labeledClips(data).filter((c) => c.split === 'train'))
  byCorpus.set(c.clip.corpus, [...(byCorpus.get(c.clip.corpus) ?? []), c]);
const queues = [...byCorpus.values()].map((clips) => shuffled(clips, random));
const inputs: Float32Array[] = [];
for (let i = 0; inputs.length < wanted && queues.some((q) => i < q.length); i++)
  for (const q of queues) {
    const c = q[i];
    if (!c || inputs.length >= wanted) continue;
    const audio = (await readWavFile(join(data, c.clip.corpus, c.clip.path))).channels[0]!;
    const features = modelFeatures(model, audio);
    for (const input of recordingInputs(model, features, modelWindowFrames(model, features.cols)))
      if (inputs.length < wanted) inputs.push(input);
  }

const ort = (await import('onnxruntime-node')) as typeof Ort;
const { ranges, explainRanges } = await calibrate(model, ort, inputs, method, percentile);
model.quantization = {
  scheme: QUANTIZATION_SCHEME,
  calibration: { method, ...(method === 'percentile' && { percentile }), windows: inputs.length },
  ranges,
  explainRanges,
};
const out = values.out ?? modelDir;
saveModel(model, out);
process.stdout.write(
  `${out}: ${ranges.length} int8 activation ranges (${method}${method === 'percentile' ? ` ${percentile}` : ''}) from ${inputs.length} training windows of ${[...byCorpus.keys()].join(', ')}\n`,
);
