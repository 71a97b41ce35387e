// Emotion-model inference speed for one speaker stream on one thread, in multiples of real time, on
// each runtime that loads here (core/model/runtime.ts; tfjs wasm is the baseline): a recording
// scored in one pass (frame features computed once, windows share them, one batch), the live path
// (one speaker's 2 s windows in order, batch 1, each computing only the frames the window before did
// not: core/model/stream-features.ts), the same windows each scored alone (every frame computed
// twice: the baseline of that sharing), and the network alone on prepared batch-1 inputs (the part
// the runtime changes).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMMITTED_MODEL_DIR, loadModel } from '../../core/model/format.ts';
import { ModelStream, openInstalledRunners, openRunner } from '../../core/model/runner.ts';
import { modelFeatures, modelWindowFrames, recordingInputs } from '../../core/model/windows.ts';
import type { BenchSuite } from '../harness.ts';
import { measureAsync, speechLikeAudio } from '../harness.ts';

// Issue 16: the stream path at 2,000× real time per core on ONNX Runtime.
const TARGET = 2000;
const SECONDS = 30;
/** The four-network ensemble emotion-tdnn-v4, the baseline of issue 16's model. */
const ENSEMBLE_DIR = join(COMMITTED_MODEL_DIR, '..', 'emotion-tdnn-v4');

export const modelSuite: BenchSuite = {
  name: 'model',
  description: `emotion model inference per runtime, ${SECONDS} s stream, 2 s windows / 1 s hop, one thread (× real time)`,
  async run(settings) {
    // The model the product runs (VOICEPULSE_MODEL_DIR, else the committed one), and beside it in
    // the same run the four-network ensemble emotion-tdnn-v4 while it is in the tree (issue 16 asks
    // for them side by side).
    const productDir = resolve(settings.model.dir ?? COMMITTED_MODEL_DIR);
    const dirs = [productDir, ENSEMBLE_DIR].filter(
      (dir, i, all) => existsSync(join(dir, 'model.json')) && all.indexOf(dir) === i,
    );
    const model = loadModel(productDir);
    const sr = model.frontend.sr;
    const y = speechLikeAudio(SECONDS, sr);
    const rt = (ms: number) => `${((SECONDS * 1000) / ms).toFixed(0)}×`;
    const notes: string[] = [];
    const rows: string[][] = [];
    const streamMs = new Map<string, number>();
    for (const dir of dirs) {
      const m = loadModel(dir);
      const { lengthMs, hopMs } = m.window;
      const len = (lengthMs * sr) / 1000;
      const hop = (hopMs * sr) / 1000;
      const starts: number[] = [];
      for (let s = 0; s + len <= y.length; s += hop) starts.push(s);
      const windowsOf = (stream: () => ModelStream) =>
        starts.map((s) => ({ stream: stream(), samples: y.subarray(s, s + len) }));
      const features = modelFeatures(m, y);
      const inputs = recordingInputs(m, features, modelWindowFrames(m, features.cols));
      const windows = inputs.length;
      // The baseline (tfjs wasm) first, so every later row can be compared with it.
      const { runners, unavailable } = await openInstalledRunners(m);
      if (dir === productDir) notes.push(...unavailable.map((reason) => `not measured: ${reason}`));
      let baseline: Record<string, number> = {};
      for (const runner of runners) {
        const paths = {
          'stream (shared frames)': await measureAsync(() => runner.scoreRecording(y)),
          'live windows, batch-1': await measureAsync(async () => {
            const stream = new ModelStream();
            for (const w of windowsOf(() => stream)) await runner.scoreWindows([w]);
          }),
          'live windows explained, batch-1': await measureAsync(async () => {
            const stream = new ModelStream();
            for (const w of windowsOf(() => stream)) await runner.explainWindows([w]);
          }),
          'each window alone, batch-1': await measureAsync(async () => {
            for (const w of windowsOf(() => new ModelStream())) await runner.scoreWindows([w]);
          }),
          'network only, batch-1': await measureAsync(async () => {
            for (const x of inputs) await runner.networkProbs([x]);
          }),
        };
        if (runner.runtime === 'tfjs-wasm')
          baseline = Object.fromEntries(Object.entries(paths).map(([k, t]) => [k, t.bestMs]));
        if (dir === productDir) streamMs.set(runner.runtime, paths['stream (shared frames)'].bestMs);
        for (const [path, t] of Object.entries(paths)) {
          const base = baseline[path];
          rows.push([
            m.version,
            runner.runtime,
            path,
            t.bestMs.toFixed(1),
            t.medianMs.toFixed(1),
            (t.bestMs / windows).toFixed(3),
            rt(t.bestMs),
            base === undefined ? '' : `${(base / t.bestMs).toFixed(2)}×`,
          ]);
        }
        if (runner.runtime === 'onnx') notes.push(runner.describe());
        await runner.release();
      }
    }
    // The verdict is the product's: the stream path on the runtime VOICEPULSE_MODEL_RUNTIME picks.
    const product = await openRunner(model, { runtime: settings.model.runtime });
    await product.release();
    const ms = streamMs.get(product.runtime)!;
    const best = (SECONDS * 1000) / ms;
    return {
      columns: ['model', 'runtime', 'path', 'best ms', 'median ms', 'ms/window', 'real time', 'vs tfjs-wasm'],
      rows,
      notes,
      verdicts: [
        {
          label: `≥ ${TARGET}× real time per core`,
          ok: best >= TARGET,
          detail: `${best.toFixed(0)}× (${model.version}, stream path on ${product.runtime}, the runtime the product picks)${best >= TARGET ? '' : `: ${(TARGET / best).toFixed(2)}× short of the target`}`,
        },
      ],
    };
  },
};
