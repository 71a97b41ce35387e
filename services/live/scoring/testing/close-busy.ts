// Closes busy model threads, round after round, on the committed model and ONNX Runtime: run as its
// own process by thread-close.test.ts, since a thread ended inside a model call aborts the process.
// Usage: close-busy.ts scoring|analysis <rounds>; prints "closed <round>" after each close.
import { completeMeta } from '../../../../core/recordings/metadata.ts';
import { callWav, syntheticCall } from '../../../../core/recordings/testing/audio.ts';
import { DEFAULT_SETTINGS } from '../../../../core/streaming/config.ts';
import { DEFAULT_POLICY } from '../../../../core/tenancy/policy.ts';
import { AnalysisPool } from '../../recordings/pool.ts';
import { createBackend } from '../backend.ts';

const modelDir = new URL('../../../../models/emotion-tdnn-v4', import.meta.url).pathname;
const [kind, rounds] = [process.argv[2], Number(process.argv[3] ?? 3)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Scoring threads with 40 calls of audio queued, closed while they score. */
async function scoringRound(): Promise<void> {
  let ready = 0;
  let scored = 0;
  const backend = createBackend({
    modelDir,
    runtime: 'onnx',
    config: DEFAULT_SETTINGS,
    threads: 1,
    onEvents: (out) => {
      scored += out.length;
    },
    onReady: () => ready++,
  });
  while (ready < 1) await sleep(5);
  const second = new Float32Array(8000).map((_, k) => 0.3 * Math.sin(k / 5) * Math.sin(k / 700));
  for (let i = 0; i < 40; i++) {
    backend.startCall(i, { callId: `c${i}`, tenantId: 't', agentId: null, queue: null }, DEFAULT_POLICY);
    for (let s = 0; s < 20; s++) backend.pushAudio(i, 'customer', second, Date.now());
  }
  while (scored === 0) await sleep(5);
  await sleep(100 + Math.random() * 200);
  await backend.close();
}

/** Analysis threads with four recordings in flight, closed while they score; prints how the recordings ended. */
async function analysisRound(): Promise<void> {
  const pool = new AnalysisPool({ modelDir, runtime: 'onnx', config: DEFAULT_SETTINGS, threads: 1 });
  let progressed = false;
  const jobs = [1, 2, 3, 4].map((seed) =>
    pool
      .analyze({
        bytes: callWav(syntheticCall(300, { seed })),
        meta: completeMeta({ callId: `c${seed}` }, { contentHash: `h${seed}`, modifiedAtMs: 0 }),
        policy: DEFAULT_POLICY,
        roles: {},
        onProgress: () => {
          progressed = true;
        },
      })
      .then(
        () => 'finished',
        (err: Error) => err.message,
      ),
  );
  while (!progressed) await sleep(5);
  await sleep(Math.random() * 200);
  await pool.close();
  console.log(`recordings: ${[...new Set(await Promise.all(jobs))].join(', ')}`);
}

for (let round = 1; round <= rounds; round++) {
  await (kind === 'analysis' ? analysisRound() : scoringRound());
  console.log(`closed ${round}`);
}
