// Entry point of one scoring thread: opens the model on its runtime once (messages wait in the
// port meanwhile), runs a ScoringEngine for the calls the pool routes to it.
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../../../core/streaming/clock.ts';
import { ScoringEngine } from './engine.ts';
import type { FromThread, ThreadData, ToScoringThread } from './protocol.ts';
import { openScorer } from './scorer.ts';
import { endThread, isCloseRequest } from './thread-close.ts';

const data = workerData as ThreadData;
const port = parentPort!;
const send = (m: FromThread) => port.postMessage(m);
const scorer = await openScorer(data.modelDir, { runtime: data.runtime, explain: data.explain });
const engine = new ScoringEngine({
  scorer,
  config: data.config,
  clock: systemClock,
  maxBatch: data.maxBatch,
  emit: (out) => send({ t: 'events', out }),
  onDropped: (callId, windows) => send({ t: 'dropped', callId, windows }),
  onBatch: (windows, busyMs, unexplained) => send({ t: 'batch', windows, busyMs, unexplained }),
});

send({ t: 'ready', model: scorer.description });
port.on('message', (message: ToScoringThread) => {
  if (isCloseRequest(message)) return void endThread(() => scorer.release());
  const { commands, samples } = message;
  for (const m of commands) {
    try {
      if (m.t === 'start') engine.startCall(m.instance, m.meta, m.policy, m.offsetsMs);
      else if (m.t === 'audio')
        engine.pushAudio(
          m.instance,
          m.speaker,
          samples.subarray(m.offset, m.offset + m.length),
          m.arrivedAtMs,
        );
      else if (m.t === 'gap') engine.gap(m.instance, m.speaker, m.samples, m.arrivedAtMs);
      else engine.endCall(m.instance, m.arrivedAtMs);
    } catch (err) {
      send({ t: 'error', instance: m.instance, message: (err as Error).message });
    }
  }
});
