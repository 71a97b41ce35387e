// One speaker's recorded audio scored the way the live service scores a call: cut into the same
// windows at the same sample positions (core/streaming SpeakerStream, so silent windows are skipped)
// and scored in order as one model stream. `classify`, `eval` and the model card's product-path
// tables all score through here, so their numbers are the live service's.
import type { Emotion } from '../emotions.ts';
import { probsRecord } from '../model/probs.ts';
import { type ModelRunner, ModelStream } from '../model/runner.ts';
import type { StreamingConfig } from '../streaming/config.ts';
import { SpeakerStream } from '../streaming/speaker-stream.ts';

export interface ChannelWindow {
  startMs: number;
  endMs: number;
  probs: Record<Emotion, number>;
}

/**
 * The scored windows of one speaker's audio at the model's rate. A channel with no scorable window
 * (too short or too quiet) is scored as one window.
 */
export async function scoreChannel(
  runner: ModelRunner,
  samples: Float32Array,
  config: StreamingConfig,
): Promise<ChannelWindow[]> {
  const speaker = new SpeakerStream(config, { keepAudio: true });
  const live = [...speaker.push(samples), ...speaker.end()].filter((w) => w.samples !== null);
  const spans =
    live.length > 0 ? live : [{ startMs: 0, endMs: (1000 * samples.length) / config.sampleRate, samples }];
  const stream = new ModelStream();
  try {
    const probs = await runner.scoreWindows(spans.map((w) => ({ stream, samples: w.samples! })));
    return spans.map((w, k) => ({
      startMs: w.startMs,
      endMs: w.endMs,
      probs: probsRecord(runner.model.labels, probs[k]!),
    }));
  } finally {
    stream.close();
  }
}
