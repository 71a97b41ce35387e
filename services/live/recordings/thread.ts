// Entry point of one analysis thread: loads the model once, then analyses the recordings the pool
// sends, several at a time, their windows scored together (BatchingScorer).
import { parentPort, workerData } from 'node:worker_threads';
import { modelStreaming } from '../../../core/streaming/config.ts';
import { endThread, isCloseRequest } from '../scoring/thread-close.ts';
import { analyzeRecording } from './analyze.ts';
import { BatchingScorer } from './batching-scorer.ts';
import { openModelScorer } from './model.ts';
import type { AnalysisThreadData, FromAnalysisThread, ToAnalysisThread } from './protocol.ts';

/** Progress is reported at most this often per recording (audio time). */
const PROGRESS_EVERY_MS = 60_000;

const data = workerData as AnalysisThreadData;
const port = parentPort!;
const send = (m: FromAnalysisThread) => port.postMessage(m);
const opened = await openModelScorer(data.modelDir, data.runtime, data.explain);
const inner = opened.scorer;
const scorer = new BatchingScorer(inner);
const config = modelStreaming(data.config, opened.window);
send({ t: 'ready', model: inner.description });

port.on('message', (m: ToAnalysisThread) => {
  if (isCloseRequest(m)) return void endThread(() => inner.release());
  let reported = 0;
  analyzeRecording(m.bytes, m.meta, {
    ...m.roles,
    scorer,
    config,
    policy: m.policy,
    onProgress: (audioMs) => {
      if (audioMs - reported < PROGRESS_EVERY_MS) return;
      reported = audioMs;
      send({ t: 'progress', id: m.id, audioMs });
    },
  }).then(
    (a) => send({ t: 'done', id: m.id, events: a.events, speakers: a.speakers }),
    (err: Error) => send({ t: 'failed', id: m.id, message: err.message }),
  );
});
