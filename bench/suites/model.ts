// Emotion-model inference speed for one speaker stream on one thread, in multiples of real time:
// the product path (frame features computed once per stream, windows share them and are scored in
// one batch) next to a batch-1 baseline that scores each 2 s window from its own audio.
import { COMMITTED_MODEL_DIR, describeModel, loadModel, scoreWindows } from '../../core/model/model.ts';
import type { BenchSuite } from '../harness.ts';
import { measure } from '../harness.ts';

const TARGET = 500;
const SECONDS = 30;

function audio(seconds: number, sr: number): Float32Array {
  const y = new Float32Array(Math.round(seconds * sr));
  let phase = 0;
  let seed = 12345;
  for (let i = 0; i < y.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    phase += (2 * Math.PI * (140 + 60 * Math.sin(i / 6000))) / sr;
    y[i] = 0.3 * Math.sin(phase) + 0.1 * Math.sin(2 * phase) + 0.02 * (seed / 2 ** 32 - 0.5);
  }
  return y;
}

export const modelSuite: BenchSuite = {
  name: 'model',
  description: `emotion model inference, ${SECONDS} s stream, 2 s windows / 1 s hop, one thread (× real time)`,
  run() {
    const model = loadModel(COMMITTED_MODEL_DIR);
    const sr = model.frontend.sr;
    const y = audio(SECONDS, sr);
    const { lengthMs, hopMs } = model.window;
    const stream = measure(() => scoreWindows(y, { model }));
    const batch1 = measure(() => {
      const len = (lengthMs * sr) / 1000;
      const hop = (hopMs * sr) / 1000;
      for (let s = 0; s + len <= y.length; s += hop) scoreWindows(y.subarray(s, s + len), { model });
    });
    const windows = scoreWindows(y, { model }).length;
    const rt = (ms: number) => `${((SECONDS * 1000) / ms).toFixed(0)}×`;
    const rows = [
      [
        'stream (shared frames)',
        stream.bestMs.toFixed(1),
        stream.medianMs.toFixed(1),
        (stream.bestMs / windows).toFixed(2),
        rt(stream.bestMs),
      ],
      [
        'batch-1 per window',
        batch1.bestMs.toFixed(1),
        batch1.medianMs.toFixed(1),
        (batch1.bestMs / windows).toFixed(2),
        rt(batch1.bestMs),
      ],
    ];
    const best = (SECONDS * 1000) / stream.bestMs;
    return {
      columns: ['path', 'best ms', 'median ms', 'ms/window', 'real time'],
      rows,
      notes: [describeModel(model)],
      verdicts: [
        {
          label: `≥ ${TARGET}× real time per core`,
          ok: best >= TARGET,
          detail: `${best.toFixed(0)}× (stream path)`,
        },
      ],
    };
  },
};
